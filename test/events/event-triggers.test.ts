// Event triggers on a real scheduler (ManualClock) over real SQLite with real worker processes: each batching
// policy, payload validation in a worker, unknown names, pause/unpause and a restart.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { allSucceeded, mostRunning, runCleanup, setUp, T0, waitFor } from "../support/scheduler-harness.js";

afterEach(runCleanup);

const orders = (schedule: string, extra = ""): string => `
import { pipeline } from "weir";
import { z } from "zod";
export default pipeline({ id: "on_orders", schedule: ${schedule}, event: z.object({ rows: z.number().int(), day: z.string().default("today") }) ${extra} }, (p) => {
  p.task("take", async (ctx) => ctx.event);
});
`;

describe("event triggers", () => {
  it("each (default): one run per event, ctx.event is the validated payload, unique logical dates at the event times", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"] }`) });
    const a = await h.emit("orders.loaded", { rows: 1 });
    const b = await h.emit("orders.loaded", { rows: 2, day: "mon" });
    const c = await h.emit("orders.loaded", { rows: 3 });
    await waitFor("3 runs", allSucceeded(h, "on_orders", 3));
    const runs = await h.runs("on_orders");
    expect(runs.map((r) => r.trigger)).toEqual(["event", "event", "event"]);
    // Three events in one millisecond of the manual clock: logical dates from the event time on, one apart.
    expect(runs.map((r) => r.logicalDateMs)).toEqual([T0, T0 + 1, T0 + 2]);
    expect(await Promise.all(runs.map((r) => h.output(r.id, "take")))).toEqual([
      { rows: 1, day: "today" },
      { rows: 2, day: "mon" },
      { rows: 3, day: "today" },
    ]);
    for (const [event, run] of [[a, runs[0]], [b, runs[1]], [c, runs[2]]] as const) {
      const stored = await h.store.events.getEvent(event.id);
      expect(stored?.deliveries).toEqual([{ eventId: event.id, pipelineId: "on_orders", outcome: "started", runId: run?.id, reason: null, doneMs: T0 }]);
    }
  }, 60_000);

  it("a payload the event schema rejects starts nothing and is recorded as rejected with the reason", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"] }`) });
    const bad = await h.emit("orders.loaded", { rows: "many" });
    const good = await h.emit("orders.loaded", { rows: 5 });
    await waitFor("the good event's run", allSucceeded(h, "on_orders", 1));
    await waitFor("the bad event handled", async () => ((await h.store.events.getEvent(bad.id))?.deliveries.length ?? 0) === 1);
    const [delivery] = (await h.store.events.getEvent(bad.id))?.deliveries ?? [];
    expect(delivery?.outcome).toBe("rejected");
    expect(delivery?.runId).toBeNull();
    expect(delivery?.reason).toMatch(/does not match the event schema of on_orders: rows: .*number/);
    expect((await h.store.events.getEvent(good.id))?.deliveries[0]?.outcome).toBe("started");
  }, 60_000);

  it("an event no pipeline is scheduled by is recorded, visible, and starts nothing", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"] }`) });
    const stray = await h.emit("nobody.listens", { x: 1 });
    await h.emit("orders.loaded", { rows: 1 });
    await waitFor("the subscribed event's run", allSucceeded(h, "on_orders", 1));
    const listed = await h.store.events.listEvents({ name: "nobody.listens", limit: 10 });
    expect(listed.map((e) => ({ id: e.id, payload: e.payload, deliveries: e.deliveries }))).toEqual([{ id: stray.id, payload: { x: 1 }, deliveries: [] }]);
    expect((await h.store.listRuns({ limit: 100 })).length).toBe(1);
  }, 60_000);

  it("batch: up to max events per run, the rest after the window; ctx.event is the array", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"], batch: { max: 3, window: "10m" } }`) });
    for (let rows = 1; rows <= 4; rows++) await h.emit("orders.loaded", { rows });
    await waitFor("the full batch's run", allSucceeded(h, "on_orders", 1));
    const [first] = await h.runs("on_orders");
    expect(await h.output(first?.id ?? "", "take")).toEqual([1, 2, 3].map((rows) => ({ rows, day: "today" })));
    // The fourth waits for its window: nothing more until 10 minutes after it arrived.
    await h.clock.advanceBy(9 * 60_000);
    expect((await h.runs("on_orders")).length).toBe(1);
    await h.clock.advanceBy(60_000);
    await waitFor("the window's run", allSucceeded(h, "on_orders", 2));
    const second = (await h.runs("on_orders"))[1];
    expect(await h.output(second?.id ?? "", "take")).toEqual([{ rows: 4, day: "today" }]);
  }, 60_000);

  it("latest: one run at a time; events that arrive meanwhile coalesce into one run with the newest", async () => {
    const gate = join(import.meta.dirname, `.tmp-gate-${process.pid}-${Date.now()}`);
    const source = `
import { existsSync } from "node:fs";
import { pipeline } from "weir";
export default pipeline({ id: "on_orders", schedule: { events: ["orders.loaded"], batch: "latest" } }, (p) => {
  p.task("take", async (ctx) => {
    while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));
    return ctx.event;
  });
});
`;
    const h = await setUp({ "orders.ts": source });
    const { cleanup } = await import("../support/scheduler-harness.js");
    cleanup.push(async () => (await import("node:fs")).rmSync(gate, { force: true }));
    await h.emit("orders.loaded", { n: 1 });
    await waitFor("the first run running", async () => (await h.runs("on_orders"))[0]?.state === "running");
    const older = await h.emit("orders.loaded", { n: 2 });
    const newest = await h.emit("orders.loaded", { n: 3 });
    h.service.wake();
    expect((await h.runs("on_orders")).length).toBe(1);
    writeFileSync(gate, "");
    await waitFor("two runs", allSucceeded(h, "on_orders", 2));
    const runs = await h.runs("on_orders");
    expect(await h.output(runs[1]?.id ?? "", "take")).toEqual({ n: 3 });
    expect((await h.store.events.getEvent(older.id))?.deliveries[0]).toMatchObject({ outcome: "superseded", runId: runs[1]?.id });
    expect((await h.store.events.getEvent(newest.id))?.deliveries[0]).toMatchObject({ outcome: "started", runId: runs[1]?.id });
    expect(existsSync(gate)).toBe(true);
  }, 60_000);

  it("each: event runs queue behind maxActiveRuns and all run, never more at once", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"] }`, `, maxActiveRuns: 1`) });
    const most = mostRunning(h.service);
    for (let rows = 1; rows <= 4; rows++) await h.emit("orders.loaded", { rows });
    await waitFor("4 runs", allSucceeded(h, "on_orders", 4));
    expect(most()).toBe(1);
  }, 60_000);

  it("events arriving while the pipeline is paused wait, and start their runs on unpause", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"] }`) });
    await h.store.setPaused("on_orders", true);
    await h.clock.advanceBy(60_000); // a pass sees the pause
    const event = await h.emit("orders.loaded", { rows: 7 });
    await h.clock.advanceBy(60_000);
    expect((await h.runs("on_orders")).length).toBe(0);
    expect((await h.store.events.getEvent(event.id))?.deliveries).toEqual([]);
    await h.store.setPaused("on_orders", false);
    await h.clock.advanceBy(60_000);
    await waitFor("the run after unpause", allSucceeded(h, "on_orders", 1));
  }, 60_000);

  it("with a cron too: scheduled runs on the cron, event runs per event", async () => {
    const h = await setUp({ "orders.ts": orders(`{ cron: "@daily", events: ["orders.loaded"] }`, `, start: "2025-03-01"`) });
    await h.emit("orders.loaded", { rows: 1 });
    await waitFor("a scheduled and an event run", allSucceeded(h, "on_orders", 2));
    expect((await h.runs("on_orders")).map((r) => r.trigger).sort()).toEqual(["event", "scheduled"]);
  }, 60_000);

  it("an event recorded while no scheduler runs starts its run on the next start, once, also across another restart", async () => {
    const h = await setUp({ "orders.ts": orders(`{ events: ["orders.loaded"] }`) });
    await h.service.stop();
    const event = await h.emit("orders.loaded", { rows: 9 });
    expect((await h.runs("on_orders")).length).toBe(0);
    await h.restart();
    await waitFor("its run", allSucceeded(h, "on_orders", 1));
    await h.service.stop();
    await h.restart();
    await h.clock.advanceBy(120_000);
    expect((await h.runs("on_orders")).length).toBe(1);
    expect((await h.store.events.getEvent(event.id))?.deliveries.map((d) => d.outcome)).toEqual(["started"]);
  }, 60_000);
});
