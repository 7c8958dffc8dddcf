// The create-due-runs phase against a real store (SQLite and Postgres): what it remembers between passes
// follows what was committed. A pass whose insert is refused (here by the lease fence) creates nothing and
// forgets nothing: once the insert can go through, the same intervals are created; the starter gets the runs
// it has room for, already owned, and the rest stay queued and unowned.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { PipelineGraph } from "../../src/graph/types.js";
import { createDueRuns } from "../../src/scheduler/create-due-runs.js";
import type { RunRecord, Store } from "../../src/store/types.js";
import { openTestStore, STORE_KINDS } from "../support/test-stores.js";
import { DAY_MS, graph, SEP_1 } from "../store/fixtures.js";

const stores: Store[] = [];
const homes: string[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

async function fresh(kind: (typeof STORE_KINDS)[number], graphs: PipelineGraph[]): Promise<Store> {
  const home = mkdtempSync(join(tmpdir(), "weir-due-runs-"));
  homes.push(home);
  const store = await openTestStore(kind, home);
  stores.push(store);
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
        starter: { owner: "me", room: () => 2, start: (run) => started.push(run) },
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
  });
}
