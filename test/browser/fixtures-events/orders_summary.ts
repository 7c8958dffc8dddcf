// The events browser test's pipeline-completion schedule: a run whenever orders_report's run for the same
// logical date succeeds (its schedule in words is checked on the pipelines page).
import { pipeline } from "weir";

export default pipeline({ id: "orders_summary", description: "Sums up after each orders report", schedule: { after: ["orders_report"] } }, (p) => {
  p.task("summarize", async (ctx) => {
    ctx.log.info(`summary of ${ctx.runId}`);
  });
});
