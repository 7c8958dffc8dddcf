// A scheduler service that another scheduler took the lease from (it was frozen, or cut off) can't commit
// anything: its coordinator's decisions are fenced by the lease (docs/distributed.md, "Several schedulers"),
// it finds out and stops, and the new holder drives the runs. In one process, on SQLite and Postgres.
import { afterEach, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import { cleanup, runCleanup, setUp, T0, waitFor } from "../support/scheduler-harness.js";
import { STORE_KINDS } from "../support/test-stores.js";

afterEach(runCleanup);

const MANUAL = `
import { pipeline } from "weir";
export default pipeline({ id: "manual" }, (p) => {
  const a = p.task("a", async () => 1);
  p.task("b", { needs: { a } }, async (_ctx, { a }) => a + 1);
});
`;

for (const kind of STORE_KINDS) {
  describe(`a scheduler taken over, on ${kind}`, () => {
    it("commits nothing more, learns it lost the lease, and the new holder drives its runs", async () => {
      const h = await setUp({ "manual.ts": MANUAL }, kind);
      const old = h.service;
      const graph = old.pipelines()[0]!;
      // Another scheduler takes the lease: as a standby does once the old one's lease expired.
      await h.store.releaseLease("scheduler", old.ownerId);
      let lost = 0;
      let next: SchedulerService | null = null;
      const pool = new LocalWorkerPool({ size: 2, onResult: (k, r, t) => next?.coordinator.handleResult(k, r, t), onCapacity: () => next?.coordinator.wake() });
      next = new SchedulerService({ store: h.store, executor: pool, clock: h.clock, home: h.home, root: h.dir, watch: false, pollMs: 60_000, onLeaseLost: () => lost++ });
      const successor = next;
      cleanup.push(async () => {
        await successor.stop();
        await pool.close();
      });
      await successor.start();
      expect((await h.store.getLease("scheduler"))?.owner).toBe(successor.ownerId);

      // The old scheduler, not knowing yet, drives a run: its first decision is refused, nothing is written.
      const { run } = await h.store.createRun(
        { id: "manual_1", pipelineId: "manual", version: graph.version, trigger: "manual", logicalDateMs: T0, intervalStartMs: T0, intervalEndMs: T0, params: {}, file: graph.file, taskIds: graph.order },
        T0,
      );
      await expect(old.coordinator.startRun(run, graph)).rejects.toThrow(/no longer holds the scheduler lease/);
      // Its next look at the lease says so (the service then stops: onLeaseLost).
      expect(await old.lease.confirm(true)).toBe(false);

      // The new holder starts the run (or adopts it, had the old one claimed it) and finishes it.
      successor.wake();
      await waitFor("the run", async () => (await h.store.getRun("manual_1"))?.state === "success");
      expect((await h.store.getRun("manual_1"))?.owner).toBe(successor.ownerId);
      expect((await h.store.listTries("manual_1")).map((t) => [t.taskId, t.tryNumber, t.state])).toEqual([
        ["a", 1, "success"],
        ["b", 1, "success"],
      ]);
      expect(lost).toBe(0);
    });
  });
}
