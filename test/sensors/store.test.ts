// The sensor hand-off's store verbs on both databases (real SQLite file, real Postgres): a deferred wait is
// claimed under a lease by one loop only, a check is recorded only by its lease holder, results show until the
// instance moves on, a re-deferred interrupted wait keeps its first-check time, and a dead owner's leases go.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import { openTestStore, STORE_KINDS } from "../support/test-stores.js";
import { decision, graph, move, newRun } from "../store/fixtures.js";

const T0 = 1_760_000_000_000;
const open: Store[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function deferredRun(kind: (typeof STORE_KINDS)[number]): Promise<Store> {
  const home = mkdtempSync(join(tmpdir(), "weir-sensor-store-"));
  const store = await openTestStore(kind, home);
  open.push(store);
  homes.push(home);
  await store.savePipelineVersion(graph("p", "v1", ["s", "d"]), T0);
  await store.createRun(newRun({ id: "r1", taskIds: ["s", "d"] }), T0);
  const moves = [move("s", "pending", "scheduled", 0), move("s", "scheduled", "queued", 1), move("s", "queued", "running", 1)];
  expect((await store.applyDecisions([decision("r1", T0, moves, { from: "queued", to: "running" })])).conflicts).toEqual([]);
  await store.sensors.defer({ runId: "r1", taskId: "s", mapIndex: -1, tryNumber: 1, waitsFor: "a file", jobJson: "{}", probe: null, pokeIntervalMs: 1000, timeoutMs: 60_000, softFail: false }, T0);
  expect((await store.applyDecisions([decision("r1", T0 + 1, [move("s", "running", "deferred", 1)])])).conflicts).toEqual([]);
  return store;
}

const KEY = { runId: "r1", taskId: "s", mapIndex: -1, tryNumber: 1 };

for (const kind of STORE_KINDS) {
  describe(`sensor hand-off on ${kind}`, () => {
    it("one loop claims a due wait; only its holder records; the next check waits for its time", async () => {
      const store = await deferredRun(kind);
      expect(await store.sensors.nextDueMs()).toBe(T0);
      const [claimed] = await store.sensors.claimDue("loop-a", T0 + 10, 120_000, 10);
      expect(claimed).toMatchObject({ ...KEY, waitsFor: "a file", firstCheckMs: T0, pokeIntervalMs: 1000, timeoutMs: 60_000, softFail: false, state: "waiting" });
      expect(await store.sensors.claimDue("loop-b", T0 + 20, 120_000, 10)).toEqual([]);
      expect(await store.sensors.recordCheck(KEY, "loop-b", { kind: "not_yet", nextCheckMs: T0 + 1000 }, T0 + 30)).toBe(false);
      expect(await store.sensors.recordCheck(KEY, "loop-a", { kind: "not_yet", nextCheckMs: T0 + 1000 }, T0 + 30)).toBe(true);
      expect(await store.sensors.claimDue("loop-b", T0 + 500, 120_000, 10)).toEqual([]);
      expect(await store.sensors.nextDueMs()).toBe(T0 + 1000);
      expect(await store.sensors.claimDue("loop-b", T0 + 1000, 120_000, 10)).toHaveLength(1);
      expect(await store.sensors.leaseOwners()).toEqual(["loop-b"]);
      expect(await store.sensors.releaseLeases("loop-b")).toBe(1);
      expect(await store.sensors.leaseOwners()).toEqual([]);
    });

    it("a result shows until its instance moves on, then is marked delivered; the run lists its waits", async () => {
      const store = await deferredRun(kind);
      await store.sensors.claimDue("loop-a", T0 + 10, 120_000, 10);
      const resultJson = JSON.stringify({ outcome: "success", output: "1" });
      expect(await store.sensors.recordCheck(KEY, "loop-a", { kind: "done", resultJson }, T0 + 20)).toBe(true);
      expect(await store.sensors.results(10)).toEqual([expect.objectContaining({ ...KEY, state: "done", resultJson, checks: 1, lastCheckMs: T0 + 20 })]);
      expect(await store.sensors.markDelivered()).toBe(0);
      await store.applyDecisions([decision("r1", T0 + 30, [move("s", "deferred", "success", 1, { output: "1" })])]);
      expect(await store.sensors.results(10)).toEqual([]);
      expect(await store.sensors.markDelivered()).toBe(1);
      expect((await store.sensors.listForRun("r1")).map((w) => w.state)).toEqual(["delivered"]);
    });

    it("a wait deferred again while it still waits (its try lost) keeps its first-check time", async () => {
      const store = await deferredRun(kind);
      const again = { ...KEY, tryNumber: 2, waitsFor: "a file", jobJson: "{}", probe: null, pokeIntervalMs: 1000, timeoutMs: 60_000, softFail: false };
      await store.sensors.defer(again, T0 + 5000);
      expect((await store.sensors.listForRun("r1"))[0]).toMatchObject({ tryNumber: 2, firstCheckMs: T0, nextCheckMs: T0 + 5000 });
      // Nothing to claim: the instance is deferred on try 1, the wait is for try 2.
      expect(await store.sensors.claimDue("loop-a", T0 + 6000, 120_000, 10)).toEqual([]);
      await store.applyDecisions([decision("r1", T0 + 6000, [move("s", "deferred", "up_for_retry", 1, { retryAtMs: T0 + 6000 })])]);
      await store.sensors.claimDue("loop-a", T0 + 6000, 120_000, 10);
      await store.sensors.defer({ ...again, tryNumber: 3 }, T0 + 7000);
      // Nobody recorded an answer for try 2, so it was still waiting: the time is kept.
      expect((await store.sensors.listForRun("r1"))[0]).toMatchObject({ tryNumber: 3, firstCheckMs: T0 });
    });

    it("externalState: the newest run at a logical date with a task's states", async () => {
      const store = await deferredRun(kind);
      const run = newRun({ id: "r1" });
      expect(await store.sensors.externalState("p", run.logicalDateMs, "s")).toEqual({ runId: "r1", runState: "running", taskStates: ["deferred"] });
      expect(await store.sensors.externalState("p", run.logicalDateMs, null)).toEqual({ runId: "r1", runState: "running", taskStates: [] });
      expect(await store.sensors.externalState("p", run.logicalDateMs + 1, null)).toBeNull();
    });
  });
}
