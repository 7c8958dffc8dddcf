// The scheduler service on simulated time: a ManualClock drives months of schedules in seconds, while
// real worker processes run the tasks against a real SQLite store.
import { afterEach, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import type { Store } from "../../src/store/types.js";
import { cleanup, DAY, mostRunning, runCleanup, setUp as setUpService, T0, waitFor } from "../support/scheduler-harness.js";
import { STORE_KINDS, type StoreKind } from "../support/test-stores.js";

afterEach(runCleanup);

/** The service over one pipeline file, daily.ts. */
const setUp = (kind: StoreKind, pipelineSource: string) => setUpService({ "daily.ts": pipelineSource }, kind);

const daily = (options: string): string => `
import { pipeline } from "weir";
export default pipeline({ id: "daily", schedule: "@daily", ${options} }, (p) => {
  const a = p.task("a", async (ctx) => ctx.interval.start.toISOString());
  p.task("b", { needs: { a } }, async (_ctx, { a }) => a.length);
});
`;

async function runsOf(store: Store): Promise<{ date: string; state: string }[]> {
  const runs = await store.listRuns({ pipelineId: "daily", limit: 1000 });
  return runs.map((r) => ({ date: new Date(r.logicalDateMs).toISOString().slice(0, 10), state: r.state })).sort((x, y) => x.date.localeCompare(y.date));
}

const allDone = (store: Store, count: number) => async () => {
  const runs = await runsOf(store);
  return runs.length === count && runs.every((r) => r.state === "success");
};

for (const kind of STORE_KINDS) {
  describe(`on ${kind}`, () => {
    describe("scheduler service on simulated time", () => {
      it("catchup on: a run for every missed interval since start, oldest first, then one per day", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-05", catchup: true`));
        await waitFor("5 caught-up runs", allDone(h.store, 5));
        expect((await runsOf(h.store)).map((r) => r.date)).toEqual(["2025-03-05", "2025-03-06", "2025-03-07", "2025-03-08", "2025-03-09"]);
        await h.clock.advanceTo(T0 + 2 * DAY);
        await waitFor("2 more runs", allDone(h.store, 7));
        expect((await runsOf(h.store)).map((r) => r.date).slice(-2)).toEqual(["2025-03-10", "2025-03-11"]);
      }, 60_000);

      it("catchup off: only the latest interval, and a restart neither loses nor repeats a run", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-01", catchup: false`));
        await waitFor("the latest run", allDone(h.store, 1));
        expect((await runsOf(h.store)).map((r) => r.date)).toEqual(["2025-03-09"]);
        await h.service.stop();
        await h.restart();
        await h.clock.advanceTo(T0 + DAY);
        await waitFor("the next day's run", allDone(h.store, 2));
        expect((await runsOf(h.store)).map((r) => r.date)).toEqual(["2025-03-09", "2025-03-10"]);
      }, 60_000);

      it("pause stops scheduling; unpause follows catchup (off: only the latest missed interval)", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-01", catchup: false`));
        await waitFor("the latest run", allDone(h.store, 1));
        expect(await h.store.setPaused("daily", true)).toBe(true);
        await h.clock.advanceTo(T0 + 3 * DAY);
        // The service's passes ran (timers fired) but created nothing while paused.
        expect((await runsOf(h.store)).length).toBe(1);
        await h.store.setPaused("daily", false);
        // Another process unpaused it: the service sees it at its next poll.
        await h.clock.advanceBy(60_000);
        await waitFor("one run after unpause", allDone(h.store, 2));
        expect((await runsOf(h.store)).map((r) => r.date)).toEqual(["2025-03-09", "2025-03-12"]);
      }, 60_000);

      it("maxActiveRuns: never more runs of a pipeline running at once", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-01", catchup: true, maxActiveRuns: 2`));
        const most = mostRunning(h.service);
        await waitFor("9 caught-up runs", allDone(h.store, 9));
        expect(most()).toBeLessThanOrEqual(2);
        expect(most()).toBeGreaterThan(0);
      }, 60_000);
    });

    describe("one scheduler per store", () => {
      it("refuses a second scheduler while the first holds the lease", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-08", catchup: false`));
        const pool = new LocalWorkerPool({ size: 1, onResult: () => {} });
        cleanup.push(() => pool.close());
        const second = new SchedulerService({ store: h.store, executor: pool, clock: h.clock, home: h.home, root: h.dir, watch: false });
        await expect(second.start()).rejects.toThrow(/another scheduler is running/);
      }, 30_000);
    });

    describe("backfills", () => {
      it("runs a backfill at most N at a time, records it finished, and keeps one run per interval", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-09", catchup: false`));
        await waitFor("the latest run", allDone(h.store, 1));
        const graph = h.service.pipelines()[0];
        if (!graph) throw new Error("no pipeline");
        const days = [1, 2, 3, 4, 5, 6].map((d) => Date.UTC(2025, 1, d));
        const { backfill } = await h.store.createBackfill(
          { id: "bf_1", pipelineId: "daily", fromMs: days[0] as number, toMs: days[5] as number, concurrency: 2, reprocess: "none", totalRuns: days.length },
          days.map((d, i) => ({ id: `bf_run_${i}`, pipelineId: "daily", version: graph.version, trigger: "backfill" as const, logicalDateMs: d, intervalStartMs: d, intervalEndMs: d + DAY, params: {}, file: graph.file, backfillId: "bf_1", taskIds: graph.order })),
          T0,
        );
        expect(backfill.state).toBe("running");
        const running = new Set<string>();
        let most = 0;
        h.service.onRunChange((change) => {
          if (change.run.backfillId !== "bf_1") return;
          if (change.runState === "running") running.add(change.run.id);
          else running.delete(change.run.id);
          most = Math.max(most, running.size);
        });
        await h.clock.advanceBy(60_000); // the next poll sees the new runs
        await waitFor("the backfill to finish", async () => (await h.store.getBackfill("bf_1"))?.state === "success");
        expect(most).toBeLessThanOrEqual(2);
        expect(most).toBeGreaterThan(0);
        const runs = await h.store.listRuns({ backfillId: "bf_1", limit: 100 });
        expect(runs.map((r) => r.state)).toEqual(Array(6).fill("success"));
      }, 60_000);

      it("a canceled backfill starts nothing more", async () => {
        const h = await setUp(kind, daily(`start: "2025-03-09", catchup: false`));
        await waitFor("the latest run", allDone(h.store, 1));
        const graph = h.service.pipelines()[0];
        if (!graph) throw new Error("no pipeline");
        const days = [1, 2, 3].map((d) => Date.UTC(2025, 1, d));
        await h.store.createBackfill(
          { id: "bf_2", pipelineId: "daily", fromMs: days[0] as number, toMs: days[2] as number, concurrency: 1, reprocess: "none", totalRuns: days.length },
          days.map((d, i) => ({ id: `bf2_run_${i}`, pipelineId: "daily", version: graph.version, trigger: "backfill" as const, logicalDateMs: d, intervalStartMs: d, intervalEndMs: d + DAY, params: {}, file: graph.file, backfillId: "bf_2", taskIds: graph.order })),
          T0,
        );
        expect(await h.store.setBackfillState("bf_2", "canceled", "running", T0)).toBe(true);
        await h.clock.advanceBy(60_000);
        await waitFor("its runs canceled", async () => (await h.store.listRuns({ backfillId: "bf_2", limit: 10 })).every((r) => r.state === "canceled"));
      }, 60_000);
    });
  });
}
