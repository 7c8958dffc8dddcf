// The store's side of several schedulers (docs/distributed.md, "Several schedulers"), on SQLite and Postgres:
// a scheduler's decisions and queued tries commit only while it still owns the scheduler lease (the fence),
// whatever the lease's expiry says; a late extension that nobody overtook keeps the lease; a scheduler taking
// over adopts its predecessor's try-queue rows as they are.
import { describe, expect, it } from "vitest";
import { SqlStore } from "../../src/store/sql-store.js";
import type { Store } from "../../src/store/types.js";
import { codeOf } from "../support/error-code.js";
import { useFreshStores } from "../support/fresh-stores.js";
import { STORE_KINDS, type StoreKind } from "../support/test-stores.js";
import { decision, graph, move, newRun } from "../store/fixtures.js";

const T0 = Date.UTC(2026, 0, 1);
const TTL = 10_000;
/** Long enough to expire on either clock (the caller's on SQLite, the database's on Postgres). */
const BRIEF = 1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const freshStore = useFreshStores("weir-ha-store-");

async function fresh(kind: StoreKind): Promise<SqlStore> {
  const store = await freshStore(kind);
  if (!(store instanceof SqlStore)) throw new Error("the SQL store");
  return store;
}

/** A running run `r1` with tasks a, b, c scheduled: `a` can start. */
async function runWithTasks(store: Store): Promise<void> {
  await store.savePipelineVersion(graph("p", "v1"), T0);
  await store.createRun(newRun({ id: "r1" }), T0);
  const started = decision("r1", T0, [move("a", "pending", "scheduled", 0)], { from: "queued", to: "running" });
  expect((await store.applyDecisions([started])).conflicts).toEqual([]);
}

for (const kind of STORE_KINDS) {
  describe(`scheduler fencing on ${kind}`, () => {
    it("commits a fenced decision only while its owner holds the lease, expired or not", async () => {
      const store = await fresh(kind);
      await runWithTasks(store);
      expect(await store.acquireLease("scheduler", "A", T0, BRIEF)).toBe(true);
      const fenceA = { lease: "scheduler", owner: "A" };
      const queueA = decision("r1", T0 + 1, [move("a", "scheduled", "queued", 1), move("a", "queued", "running", 1)]);
      expect((await store.applyDecisions([queueA], fenceA)).conflicts).toEqual([]);

      // B takes the expired lease over; A (frozen meanwhile) can no longer commit, and nothing of its batch is written.
      await sleep(20);
      expect(await store.acquireLease("scheduler", "B", T0 + 1000, TTL)).toBe(true);
      const late = decision("r1", T0 + 2, [move("a", "running", "success", 1, { output: '"late"' })]);
      expect(await codeOf(store.applyDecisions([late], fenceA))).toBe("scheduler_fenced");
      expect((await store.listTaskInstances("r1")).find((i) => i.taskId === "a")?.state).toBe("running");
      // Its lease is gone: it can't extend it either.
      expect(await store.extendLease("scheduler", "A", T0 + 3, TTL)).toBe(false);

      // B commits under its own fence.
      expect((await store.applyDecisions([late], { lease: "scheduler", owner: "B" })).conflicts).toEqual([]);
      expect((await store.listTaskInstances("r1")).find((i) => i.taskId === "a")?.state).toBe("success");
      // Released: nobody's fence holds.
      await store.releaseLease("scheduler", "B");
      const next = decision("r1", T0 + 4, [move("b", "pending", "scheduled", 0)]);
      expect(await codeOf(store.applyDecisions([next], { lease: "scheduler", owner: "B" }))).toBe("scheduler_fenced");
      await store.close();
    });

    it("extends a lease its owner still holds, even past its expiry, and not once another took it", async () => {
      const store = await fresh(kind);
      expect(await store.acquireLease("scheduler", "A", T0, BRIEF)).toBe(true);
      await sleep(20);
      // Expired: renewing refuses, extending keeps it (nobody took it), and another can't take it then.
      expect(await store.renewLease("scheduler", "A", T0 + 1000, TTL)).toBe(false);
      expect(await store.extendLease("scheduler", "A", T0 + 1000, TTL)).toBe(true);
      expect(await store.acquireLease("scheduler", "B", T0 + 1001, TTL)).toBe(false);
      expect((await store.getLease("scheduler"))?.owner).toBe("A");
      expect(await store.extendLease("scheduler", "A", T0 + 1000, BRIEF)).toBe(true);
      await sleep(20);
      expect(await store.acquireLease("scheduler", "B", T0 + 2000, TTL)).toBe(true);
      expect(await store.extendLease("scheduler", "A", T0 + 2000, TTL)).toBe(false);
      expect(await store.extendLease("scheduler", "B", T0 + 2000, TTL)).toBe(true);
      await store.close();
    });

    it("queues no tries for a scheduler taken over, and the successor adopts what its predecessor queued", async () => {
      const store = await fresh(kind);
      const d = store.distributed;
      await d.registerWorker({ id: "w", host: "h", pid: 1, queues: ["default", "spark"], slots: 4, version: "0" }, T0);
      expect(await store.acquireLease("scheduler", "A", T0, BRIEF)).toBe(true);
      const fenceA = { lease: "scheduler", owner: "A" };
      const tries = (keys: string[], queue = "default") => keys.map((tryKey) => ({ tryKey, queue, jobJson: JSON.stringify({ tryKey }) }));
      await d.enqueueTries("sA", tries(["r/a/-1/1", "r/b/-1/1"]), T0, fenceA);
      await d.enqueueTries("sA", tries(["r/c/-1/1"], "spark"), T0, fenceA);
      expect((await d.claimTries("w", ["default"], 1, T0)).map((c) => c.tryKey)).toEqual(["r/a/-1/1"]);
      await d.claimTries("w", ["spark"], 1, T0);
      expect(await d.completeTry("w", { tryKey: "r/c/-1/1", resultJson: '{"outcome":"success","output":"1"}', startedMs: T0, endedMs: T0 + 1 })).toBe(true);

      await sleep(20);
      expect(await store.acquireLease("scheduler", "B", T0 + 1000, TTL)).toBe(true);
      expect(await codeOf(d.enqueueTries("sA", tries(["r/d/-1/1"]), T0, fenceA))).toBe("scheduler_fenced");
      // A scheduler that doesn't hold the lease adopts nothing (`weir dev` refused while another one runs).
      expect(await codeOf(d.adoptOtherSchedulers("sA2", fenceA))).toBe("scheduler_fenced");
      const fenceB = { lease: "scheduler", owner: "B" };
      const adopted = await d.adoptOtherSchedulers("sB", fenceB);
      expect(adopted.map((t) => [t.tryKey, t.queue, t.state])).toEqual([
        ["r/a/-1/1", "default", "claimed"],
        ["r/b/-1/1", "default", "queued"],
        ["r/c/-1/1", "spark", "done"],
      ]);
      expect(JSON.parse(adopted[0]!.jobJson)).toEqual({ tryKey: "r/a/-1/1" });
      // The worker still holding r/a reports to the successor; the predecessor gets nothing.
      expect(await d.completeTry("w", { tryKey: "r/a/-1/1", resultJson: '{"outcome":"success","output":"2"}', startedMs: T0, endedMs: T0 + 2 })).toBe(true);
      expect(await d.takeResults("sA")).toEqual([]);
      expect((await d.takeResults("sB")).map((r) => r.tryKey).sort()).toEqual(["r/a/-1/1", "r/c/-1/1"]);
      expect((await d.claimTries("w", ["default"], 5, T0)).map((c) => c.tryKey)).toEqual(["r/b/-1/1"]);

      // A result taken but kept (its decision may not be committed yet) is adopted by a successor.
      expect(await d.completeTry("w", { tryKey: "r/b/-1/1", resultJson: '{"outcome":"success","output":"3"}', startedMs: T0, endedMs: T0 + 3 })).toBe(true);
      expect((await d.takeResults("sB", "sB#kept")).map((r) => [r.tryKey, r.resultJson])).toEqual([["r/b/-1/1", '{"outcome":"success","output":"3"}']]);
      expect(await d.takeResults("sB", "sB#kept")).toEqual([]);
      expect((await d.adoptOtherSchedulers("sC", fenceB)).map((t) => [t.tryKey, t.state])).toEqual([["r/b/-1/1", "done"]]);
      expect((await d.takeResults("sC", "sC#kept")).map((r) => r.tryKey)).toEqual(["r/b/-1/1"]);
      // Removed only once its decision committed, and only by the lease's holder.
      expect(await codeOf(d.forgetResults(["r/b/-1/1"], fenceA))).toBe("scheduler_fenced");
      expect(await d.adoptOtherSchedulers("sD", fenceB)).toHaveLength(1);
      await d.takeResults("sD", "sD#kept");
      await d.forgetResults(["r/b/-1/1"], fenceB);
      expect(await d.adoptOtherSchedulers("sE", fenceB)).toEqual([]);
      await store.close();
    });
  });
}
