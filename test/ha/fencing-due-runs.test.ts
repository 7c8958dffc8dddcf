// Due runs are created under the scheduler lease like the coordinator's decisions (docs/distributed.md,
// "Several schedulers"): the insert is fenced, so a scheduler another one took the lease from (frozen, cut
// off) creates no scheduled run, even one it already had due when it woke. On SQLite and Postgres.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import type { Store } from "../../src/store/types.js";
import { cleanup, runCleanup, setUp, T0, waitFor } from "../support/scheduler-harness.js";
import { codeOf } from "../support/error-code.js";
import { openTestStore, STORE_KINDS } from "../support/test-stores.js";
import { graph, newRun } from "../store/fixtures.js";

afterEach(runCleanup);

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const MINUTE = 60_000;

const MINUTELY = `
import { pipeline } from "weir";
export default pipeline({ id: "minutely", schedule: "* * * * *", start: "2025-03-10T11:00:00.000Z", catchup: false }, (p) => {
  p.task("tick", async () => 1);
});
`;

for (const kind of STORE_KINDS) {
  describe(`fenced due runs on ${kind}`, () => {
    it("createRuns with a fence writes the runs only while the fence's owner holds the lease", async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-ha-due-"));
      homes.push(home);
      const store: Store = await openTestStore(kind, home);
      cleanup.push(() => store.close());
      await store.savePipelineVersion(graph("p", "v1"), T0);
      expect(await store.acquireLease("scheduler", "A", Date.now(), 60_000)).toBe(true);
      const fenceA = { lease: "scheduler", owner: "A" };
      const scheduled = (id: string, at: number) => newRun({ id, trigger: "scheduled", logicalDateMs: at, intervalStartMs: at, intervalEndMs: at + MINUTE, owner: "A" });

      expect(await store.createRuns([scheduled("s1", T0), scheduled("s2", T0 + MINUTE)], T0, fenceA)).toEqual([
        { id: "s1", created: true },
        { id: "s2", created: true },
      ]);
      expect(await store.listTaskInstances("s2")).toHaveLength(3);

      // B took the lease over: A's next batch is refused as a whole, nothing of it written.
      await store.releaseLease("scheduler", "A");
      expect(await store.acquireLease("scheduler", "B", Date.now(), 60_000)).toBe(true);
      expect(await codeOf(store.createRuns([scheduled("s3", T0 + 2 * MINUTE), scheduled("s4", T0 + 3 * MINUTE)], T0, fenceA))).toBe("scheduler_fenced");
      expect(await store.getRun("s3")).toBeNull();
      expect(await store.getRun("s4")).toBeNull();
      expect(await store.listTaskInstances("s3")).toEqual([]);
      // B's own batch goes in, and creating A's committed runs again stays a no-op under B's fence.
      const fenceB = { lease: "scheduler", owner: "B" };
      expect(await store.createRuns([scheduled("s1again", T0), scheduled("s3", T0 + 2 * MINUTE)], T0, fenceB)).toEqual([
        { id: "s1", created: false },
        { id: "s3", created: true },
      ]);
      expect((await store.listRuns({ pipelineId: "p" })).map((r) => r.id).sort()).toEqual(["s1", "s2", "s3"]);
    });

    it("a scheduler taken over creates no due run, learns it lost the lease and stops", async () => {
      const h = await setUp({ "minutely.ts": MINUTELY }, kind);
      // The first scheduler ran the interval that ended at start; it steps aside for the one under test.
      await waitFor("the catch-up run", async () => (await h.runs("minutely")).some((r) => r.state === "success"));
      await h.service.stop();

      let lost = 0;
      const errors: string[] = [];
      let frozen: SchedulerService | null = null;
      const pool = new LocalWorkerPool({ size: 1, onResult: (k, r, t) => frozen?.coordinator.handleResult(k, r, t), onCapacity: () => frozen?.coordinator.wake() });
      // A long lease: its confirmation stays fresh, so the pass writes without asking first, as one frozen
      // for less than half a TTL would; only the fence on the insert can stop it.
      frozen = new SchedulerService({
        store: h.store,
        executor: pool,
        clock: h.clock,
        home: h.home,
        root: h.dir,
        watch: false,
        pollMs: 60 * MINUTE,
        leaseTtlMs: 600_000,
        onLeaseLost: () => lost++,
        onEvent: (event) => {
          if (event.kind === "error") errors.push(event.message);
        },
      });
      const service = frozen;
      cleanup.push(async () => {
        await service.stop();
        await pool.close();
      });
      await service.start();
      const before = (await h.runs("minutely")).map((r) => r.logicalDateMs);
      expect(before).toEqual([T0 - MINUTE]);

      // Another scheduler takes the lease over (as a standby does once it expired).
      await h.store.releaseLease("scheduler", service.ownerId);
      expect(await h.store.acquireLease("scheduler", "successor", Date.now(), 600_000)).toBe(true);

      // The minute ends: the interval [T0, T0 + 1 min) is due, and its insert is refused.
      await h.clock.advanceTo(T0 + MINUTE);
      await waitFor("the scheduler to learn it lost the lease", () => lost === 1);
      expect(errors.some((message) => message.includes("no longer holds the scheduler lease"))).toBe(true);
      expect((await h.runs("minutely")).map((r) => r.logicalDateMs)).toEqual(before);
      expect((await h.store.getLease("scheduler"))?.owner).toBe("successor");

      // Stopped: later minutes create nothing either.
      await h.clock.advanceTo(T0 + 3 * MINUTE);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await h.runs("minutely")).map((r) => r.logicalDateMs)).toEqual(before);
    });
  });
}
