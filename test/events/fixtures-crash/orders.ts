import { pipeline } from "weir";
import { z } from "zod";

export default pipeline({ id: "crash_orders", schedule: { events: ["orders.loaded"] }, event: z.object({ n: z.number() }) }, (p) => {
  p.task("take", async (ctx) => ctx.event?.n ?? -1);
});
