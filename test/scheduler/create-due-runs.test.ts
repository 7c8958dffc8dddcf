// The create-due-runs phase against a real store (SQLite and Postgres): what it remembers between passes
// follows what was committed. A pass whose insert is refused (here by the lease fence) creates nothing and
// forgets nothing: once the insert can go through, the same intervals are created; the starter gets the runs
// it has room for, already owned, and the rest stay queued and unowned. A run whose start the starter prepared
// is inserted started (running, its roots scheduled) in that same transaction; a start that writes more than
// states is not prepared, and its run is inserted queued.
import { describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { PipelineGraph } from "../../src/graph/types.js";
import { createDueRuns, type DueRunStarter } from "../../src/scheduler/create-due-runs.js";
import { prepareStart, type PreparedStart } from "../../src/scheduler/prepared-start.js";
import { newActiveRun } from "../../src/scheduler/run-tracking.js";
import type { RunRecord, Store } from "../../src/store/types.js";
import { useFreshStores } from "../support/fresh-stores.js";
import { STORE_KINDS, type StoreKind } from "../support/test-stores.js";
import { DAY_MS, graph, SEP_1 } from "../store/fixtures.js";

const freshStore = useFreshStores("weir-due-runs-");

async function fresh(kind: StoreKind, graphs: PipelineGraph[]): Promise<Store> {
  const store = await freshStore(kind);
  for (const g of graphs) await store.savePipelineVersion(g, SEP_1);
  return store;
}

for (const kind of STORE_KINDS) {
  describe(`createDueRuns on ${kind}`, () => {
    it("a refused insert leaves the intervals due for the next pass", async () => {
      const daily = graph("daily", "v1");
      const store = await fresh(kind, [daily]);
      const latest = new Map<string, number | null>();
      const fence = { lease: "scheduler", owner: "A" };
      const now = SEP_1 + 3 * DAY_MS + 1;
      expect(await store.acquireLease("scheduler", "B", Date.now(), 60_000)).toBe(true);

      const refused = await createDueRuns(store, [daily], new Set(), now, { latest, fence }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused instanceof WeirError && refused.code).toBe("scheduler_fenced");
      expect(await store.listRuns({ pipelineId: "daily" })).toEqual([]);

      await store.releaseLease("scheduler", "B");
      expect(await store.acquireLease("scheduler", "A", Date.now(), 60_000)).toBe(true);
      const result = await createDueRuns(store, [daily], new Set(), now, { latest, fence });
      expect(result.created).toBe(1);
      // catchup off: the latest interval that ended, [Sep 3, Sep 4) at Sep 4.
      expect((await store.listRuns({ pipelineId: "daily" })).map((r) => r.logicalDateMs)).toEqual([SEP_1 + 2 * DAY_MS]);
      expect(result.nextWakeMs).toBe(SEP_1 + 4 * DAY_MS);
      // Remembered now: the same pass again creates nothing.
      expect((await createDueRuns(store, [daily], new Set(), now, { latest, fence })).created).toBe(0);
    });

    it("hands the starter the runs it has room for, created owned, and leaves the rest queued", async () => {
      const caughtUp = { ...graph("caught_up", "v1"), catchup: true };
      const store = await fresh(kind, [caughtUp]);
      const started: RunRecord[] = [];
      const now = SEP_1 + 5 * DAY_MS + 1;
      const result = await createDueRuns(store, [caughtUp], new Set(), now, {
        starter: { owner: "me", room: () => 2, prepare: () => null, start: (run) => started.push(run) },
      });
      expect(result).toMatchObject({ created: 5, started: 2 });
      // Oldest first: the first two intervals start, as inserted (queued, owned, created now).
      expect(started.map((r) => [r.logicalDateMs, r.state, r.owner, r.createdMs])).toEqual([
        [SEP_1, "queued", "me", now],
        [SEP_1 + DAY_MS, "queued", "me", now],
      ]);
      for (const run of started) expect(await store.getRun(run.id)).toEqual(run);
      const stored = (await store.listRuns({ pipelineId: "caught_up" })).sort((a, b) => a.logicalDateMs - b.logicalDateMs);
      expect(stored.map((r) => r.owner)).toEqual(["me", "me", null, null, null]);
      expect(result.runs.map((r) => r.id).sort()).toEqual(stored.map((r) => r.id).sort());
    });

    it("inserts a prepared run started, its roots scheduled, in the creating transaction; once per interval", async () => {
      const caughtUp = { ...graph("prepared", "v1"), catchup: true };
      const store = await fresh(kind, [caughtUp]);
      const now = SEP_1 + 2 * DAY_MS + 1;
      const handed: [RunRecord, PreparedStart | null][] = [];
      const starter: DueRunStarter = {
        owner: "me",
        room: () => 16,
        prepare: (run, g, nowMs) => prepareStart(newActiveRun(run, g, run.state, [], undefined, (output) => output), nowMs),
        start: (run, _g, prepared) => handed.push([run, prepared]),
      };
      const result = await createDueRuns(store, [caughtUp], new Set(), now, { starter });
      expect(result).toMatchObject({ created: 2, started: 2 });
      expect(handed.map(([run, prepared]) => [run.state, prepared?.started])).toEqual([
        ["queued", { atMs: now, instanceStates: ["scheduled", "pending", "pending"] }],
        ["queued", { atMs: now, instanceStates: ["scheduled", "pending", "pending"] }],
      ]);
      for (const [run, prepared] of handed) {
        expect(await store.getRun(run.id)).toMatchObject({ state: "running", startedMs: now, owner: "me", createdMs: now });
        expect((await store.listTaskInstances(run.id)).map((i) => [i.taskId, i.state, i.tryNumber])).toEqual([
          ["a", "scheduled", 0],
          ["b", "pending", 0],
          ["c", "pending", 0],
        ]);
        // The snapshot the coordinator drives is the one the insert wrote.
        expect(prepared?.active.snapshot.state).toBe("running");
      }
      expect(result.runs.map((r) => r.state)).toEqual(["running", "running"]);
      // Another scheduler's pass over the same intervals (nothing remembered): no run twice, nothing started.
      handed.length = 0;
      expect(await createDueRuns(store, [caughtUp], new Set(), now, { starter })).toMatchObject({ created: 0, started: 0 });
      expect(handed).toEqual([]);
      expect(await store.listRuns({ pipelineId: "prepared" })).toHaveLength(2);
    });

    it("inserts queued a run whose first decision writes more than states (it ends at once: no task)", async () => {
      const empty = graph("empty", "v1", []);
      const store = await fresh(kind, [empty]);
      const now = SEP_1 + DAY_MS + 1;
      const handed: (PreparedStart | null)[] = [];
      const result = await createDueRuns(store, [empty], new Set(), now, {
        starter: {
          owner: "me",
          room: () => 1,
          prepare: (run, g, nowMs) => prepareStart(newActiveRun(run, g, run.state, [], undefined, (output) => output), nowMs),
          start: (_run, _g, prepared) => handed.push(prepared),
        },
      });
      expect(result).toMatchObject({ created: 1, started: 1 });
      expect(handed).toEqual([null]);
      expect(await store.getRun(result.runs[0]!.id)).toMatchObject({ state: "queued", startedMs: null, owner: "me" });
    });
  });
}
