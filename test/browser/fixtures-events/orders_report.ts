// The events browser test's event-driven pipeline: one run per `orders.loaded` event, its payload checked by
// the `event` schema (a payload without `rows` is rejected, with the reason, on the Events page).
import { z } from "zod";
import { pipeline } from "weir";

export default pipeline(
  {
    id: "orders_report",
    description: "Reports on each load of orders",
    schedule: { events: ["orders.loaded"] },
    event: z.object({ rows: z.number().int().min(0), day: z.string().default("today") }),
  },
  (p) => {
    p.task("report", async (ctx) => {
      ctx.log.info(`orders loaded for ${ctx.event?.day}`, { rows: ctx.event?.rows });
      return ctx.event?.rows ?? 0;
    });
  },
);
