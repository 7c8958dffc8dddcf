// Type-level tests of `ctx.event` (docs/events.md): checked by `tsc`. Each @ts-expect-error line must be an error.
import { z } from "zod";
import { pipeline } from "weir";

export const single = pipeline({ id: "single", schedule: { events: ["orders.loaded"] }, event: z.object({ rows: z.number(), day: z.string().default("today") }) }, (p) => {
  p.task("t", (ctx) => {
    const rows: number | undefined = ctx.event?.rows;
    const day: string | undefined = ctx.event?.day;
    // @ts-expect-error rows is a number
    const wrong: string | undefined = ctx.event?.rows;
    // @ts-expect-error ctx.event is undefined for a run no event started
    const always: number = ctx.event.rows;
    return { rows, day, wrong, always };
  });
});

export const batched = pipeline({ id: "batched", schedule: { events: ["orders.loaded"], batch: { max: 10, window: "5m" } }, event: z.object({ rows: z.number() }) }, (p) => {
  p.task("t", (ctx) => {
    const total: number = (ctx.event ?? []).reduce((sum, e) => sum + e.rows, 0);
    // @ts-expect-error a batched run's ctx.event is an array
    const one: number | undefined = ctx.event?.rows;
    return { total, one };
  });
});

export const untyped = pipeline({ id: "untyped", schedule: { after: ["single"], cron: "@daily" } }, (p) => {
  p.task("t", (ctx) => {
    const payload: unknown = ctx.event;
    // @ts-expect-error without an event schema the payload is unknown
    const rows: number = ctx.event.rows;
    return { payload, rows };
  });
});
