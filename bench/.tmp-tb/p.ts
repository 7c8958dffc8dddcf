import { pipeline } from "weir";
export default pipeline({ id: "tb" }, (p) => { for (let i = 0; i < 10; i++) p.task(`t${i}`, async () => i); });
