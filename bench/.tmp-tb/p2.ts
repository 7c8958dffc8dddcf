import { pipeline } from "weir";
export default pipeline({ id: "tb2" }, (p) => { const root = p.task("root", async () => 1); for (let i = 0; i < 2000; i++) p.task(`t${i}`, { after: [root] }, async () => i); });
