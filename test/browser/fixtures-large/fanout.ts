// A pipeline of 1,502 tasks (a fan-out of 1,500 siblings between two tasks): more than the API draws one by
// one, so its graph comes collapsed and its details list only the first tasks.
import { pipeline } from "weir";

export default pipeline({ id: "ui_fanout", schedule: null, description: "fan-out of 1,500 tasks" }, (p) => {
  const root = p.task("root", async () => 0);
  const leaves = Array.from({ length: 1500 }, (_, i) => p.task(`leaf${i}`, { after: [root] }, async () => i));
  p.task("join", { after: leaves }, async () => leaves.length);
});
