import { pipeline } from "weir";
export default pipeline({ id: "one" }, (p) => { p.task("only", async () => 1); });
