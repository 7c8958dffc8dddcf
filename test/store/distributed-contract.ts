// The store contract for distributed execution (docs/distributed.md), on SQLite and Postgres alike: workers
// registering and heartbeating, tries claimed by queue exactly once, results accepted only from the worker
// holding the claim, lost workers reaped, aborts and remote log chunks.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { DistributedStore, NewWorker } from "../../src/store/distributed-types.js";
import { SqlStore } from "../../src/store/sql-store.js";
import type { Store } from "../../src/store/types.js";
import { decision, graph, move, newRun } from "./fixtures.js";

const T0 = 1_760_000_000_000;

function worker(id: string, queues: string[], slots = 4): NewWorker {
  return { id, host: "host-a", pid: 123, queues, slots, version: "0.1.0" };
}

const tries = (keys: string[], queue = "default") => keys.map((tryKey) => ({ tryKey, queue, jobJson: JSON.stringify({ tryKey }) }));

export function describeDistributedContract(name: string, open: () => Promise<Store>, options: { databaseClock: boolean; notifies: boolean }): void {
  describe(`Distributed store contract: ${name}`, () => {
    let store: Store;
    let d: DistributedStore;
    beforeEach(async () => {
      store = await open();
      if (!(store instanceof SqlStore)) throw new Error("the distributed verbs live on SqlStore");
      d = store.distributed;
    });
    afterEach(async () => {
      await store.close();
    });

    /** A reap that finds every alive worker silent: the caller's clock far ahead, or a negative timeout on the database's. */
    const reapAll = (schedulerId: string) => (options.databaseClock ? d.reapLostWorkers(schedulerId, -3_600_000, T0) : d.reapLostWorkers(schedulerId, 5000, T0 + 3_600_000));

    it("registers workers and lists them with their queues, slots and heartbeat", async () => {
      await d.registerWorker(worker("w1", ["default", "spark"], 8), T0);
      await d.registerWorker(worker("w0", ["default"]), T0);
      expect(await d.heartbeat("w1", 3, T0 + 10)).toBe(true);
      const listed = await d.listWorkers();
      expect(listed.map((w) => w.id)).toEqual(["w0", "w1"]);
      expect(listed[1]).toMatchObject({ id: "w1", host: "host-a", pid: 123, queues: ["default", "spark"], slots: 8, inUse: 3, version: "0.1.0", state: "alive" });
      if (!options.databaseClock) expect(listed[1]?.heartbeatMs).toBe(T0 + 10);
      await d.stopWorker("w0");
      expect((await d.listWorkers()).map((w) => [w.id, w.state])).toEqual([["w1", "alive"], ["w0", "stopped"]]);
      expect(await d.heartbeat("w0", 0, T0 + 20)).toBe(false);
    });

    it("refuses a worker with no queue or no slots, changing nothing", async () => {
      for (const bad of [worker("w1", []), worker("w1", ["default"], 0), worker("w1", ["default"], 1.5)]) {
        const error = await d.registerWorker(bad, T0).then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(WeirError);
        expect((error as WeirError).code).toBe("worker_invalid");
      }
      expect(await d.listWorkers()).toEqual([]);
    });

    it("hands out tries of a worker's queues only, oldest first, each once", async () => {
      await d.registerWorker(worker("a", ["default"]), T0);
      await d.registerWorker(worker("b", ["spark"]), T0);
      await d.enqueueTries("s1", tries(["r/t1/-1/1", "r/t2/-1/1"]), T0);
      await d.enqueueTries("s1", [...tries(["r/big/-1/1"], "spark"), ...tries(["r/t3/-1/1"])], T0 + 1);
      await d.enqueueTries("s1", tries(["r/t1/-1/1"]), T0 + 2); // already queued: left as it is
      expect((await d.claimTries("a", ["default"], 2, T0)).map((c) => c.tryKey)).toEqual(["r/t1/-1/1", "r/t2/-1/1"]);
      const spark = await d.claimTries("b", ["spark"], 5, T0);
      expect(spark).toEqual([{ tryKey: "r/big/-1/1", jobJson: JSON.stringify({ tryKey: "r/big/-1/1" }) }]);
      expect((await d.claimTries("a", ["default"], 5, T0)).map((c) => c.tryKey)).toEqual(["r/t3/-1/1"]);
      expect(await d.claimTries("a", ["default"], 5, T0)).toEqual([]);
      expect(await d.claimTries("unknown-worker", ["default"], 5, T0)).toEqual([]);
    });

    it("never gives one try to two workers claiming at once", async () => {
      const ids = ["w1", "w2", "w3", "w4"];
      for (const id of ids) await d.registerWorker(worker(id, ["default"]), T0);
      const keys = Array.from({ length: 40 }, (_, i) => `r/t${String(i).padStart(2, "0")}/-1/1`);
      await d.enqueueTries("s1", tries(keys), T0);
      const claimed: string[] = [];
      for (let round = 0; round < 3; round++) {
        const batches = await Promise.all(ids.map((id) => d.claimTries(id, ["default"], 7, T0)));
        for (const batch of batches) claimed.push(...batch.map((c) => c.tryKey));
      }
      expect(claimed.sort()).toEqual(keys);
    });

    it("takes a result only from the worker holding the claim, and returns it to its scheduler once", async () => {
      await d.registerWorker(worker("a", ["default"]), T0);
      await d.registerWorker(worker("b", ["default"]), T0);
      await d.enqueueTries("s1", tries(["r/t/-1/1"]), T0);
      await d.enqueueTries("s2", tries(["r/u/-1/1"]), T0 + 1);
      await d.claimTries("a", ["default"], 2, T0);
      const report = { tryKey: "r/t/-1/1", resultJson: '{"outcome":"success","output":"1"}', startedMs: T0 + 5, endedMs: T0 + 9 };
      expect(await d.completeTry("b", report)).toBe(false);
      expect(await d.completeTry("a", report)).toBe(true);
      expect(await d.completeTry("a", report)).toBe(false);
      expect(await d.takeResults("s2")).toEqual([]);
      expect(await d.takeResults("s1")).toEqual([report]);
      expect(await d.takeResults("s1")).toEqual([]);
    });

    it("declares a silent worker lost: its tries come back once, and it can no longer report or claim", async () => {
      await d.registerWorker(worker("a", ["default"]), T0);
      await d.enqueueTries("s1", tries(["r/t1/-1/1", "r/t2/-1/1", "r/t3/-1/1"]), T0);
      await d.claimTries("a", ["default"], 2, T0);
      expect(await d.reapLostWorkers("s1", 3_600_000, T0 + 1000)).toEqual([]);
      expect(await reapAll("s1")).toEqual([{ workerId: "a", tryKeys: ["r/t1/-1/1", "r/t2/-1/1"] }]);
      expect(await reapAll("s1")).toEqual([]);
      expect((await d.listWorkers())[0]?.state).toBe("lost");
      expect(await d.completeTry("a", { tryKey: "r/t1/-1/1", resultJson: "{}", startedMs: null, endedMs: null })).toBe(false);
      expect(await d.takeResults("s1")).toEqual([]);
      expect(await d.heartbeat("a", 0, T0)).toBe(false);
      expect(await d.claimTries("a", ["default"], 5, T0)).toEqual([]);
      await d.registerWorker(worker("a2", ["default"]), T0);
      expect((await d.claimTries("a2", ["default"], 5, T0)).map((c) => c.tryKey)).toEqual(["r/t3/-1/1"]);
    });

    it("takes back a try a stopped worker still had claimed", async () => {
      await d.registerWorker(worker("a", ["default"]), T0);
      await d.enqueueTries("s1", tries(["r/t1/-1/1"]), T0);
      await d.claimTries("a", ["default"], 1, T0);
      await d.stopWorker("a");
      expect(await d.reapLostWorkers("s1", 3_600_000, T0 + 1000)).toEqual([{ workerId: "a", tryKeys: ["r/t1/-1/1"] }]);
      expect((await d.listWorkers())[0]?.state).toBe("stopped");
    });

    it("aborts a queued try by removing it and a claimed one by asking its worker", async () => {
      await d.registerWorker(worker("a", ["default"]), T0);
      await d.enqueueTries("s1", tries(["r/t1/-1/1", "r/t2/-1/1"]), T0);
      await d.claimTries("a", ["default"], 1, T0);
      expect(await d.requestAbort("r/t2/-1/1", "canceled")).toBe("dequeued");
      expect(await d.requestAbort("r/t1/-1/1", "timeout")).toBe("requested");
      expect(await d.abortRequests("a")).toEqual([{ tryKey: "r/t1/-1/1", reason: "timeout" }]);
      expect(await d.requestAbort("r/nope/-1/1", "canceled")).toBe("none");
      expect(await d.claimTries("a", ["default"], 5, T0)).toEqual([]);
    });

    it("drops another scheduler's queued tries and asks its claimed ones to abort", async () => {
      await d.registerWorker(worker("a", ["default"]), T0);
      await d.enqueueTries("old", tries(["r/t1/-1/1", "r/t2/-1/1"]), T0);
      await d.claimTries("a", ["default"], 1, T0);
      await d.enqueueTries("new", tries(["r/t3/-1/1"]), T0 + 1);
      await d.dropOtherSchedulers("new");
      expect(await d.abortRequests("a")).toEqual([{ tryKey: "r/t1/-1/1", reason: "canceled" }]);
      expect((await d.claimTries("a", ["default"], 5, T0)).map((c) => c.tryKey)).toEqual(["r/t3/-1/1"]);
    });

    it(options.notifies ? "wakes workers when tries are queued and schedulers when results come" : "has no wake-up signal (callers poll)", async () => {
      const woken: string[] = [];
      let wake = (): void => {};
      const next = () => new Promise<void>((resolve) => (wake = resolve));
      const stops = [await d.subscribe("queue", () => (woken.push("queue"), wake())), await d.subscribe("results", () => (woken.push("results"), wake()))];
      if (!options.notifies) {
        expect(stops).toEqual([null, null]);
        return;
      }
      await d.registerWorker(worker("a", ["default"]), T0);
      let woke = next();
      await d.enqueueTries("s1", tries(["r/t/-1/1"]), T0);
      await woke;
      await d.claimTries("a", ["default"], 1, T0);
      woke = next();
      await d.completeTry("a", { tryKey: "r/t/-1/1", resultJson: "{}", startedMs: null, endedMs: null });
      await woke;
      expect(woken).toEqual(["queue", "results"]);
      for (const stop of stops) stop?.();
    });

    it("keeps a remote try's log in chunks, read back in order", async () => {
      const wholeLog = async (tryKey: string) => (await d.readLogFrom(tryKey, 0, 100)).map((chunk) => chunk.text).join("");
      expect(await d.readLogFrom("r/t/-1/1", 0, 100)).toEqual([]);
      await d.appendLogChunk("r/t/-1/1", 1, 6, "second\n");
      await d.appendLogChunk("r/t/-1/1", 0, 0, "first\n");
      await d.appendLogChunk("r/t/-1/1", 0, 0, "duplicate\n");
      expect(await wholeLog("r/t/-1/1")).toBe("first\nsecond\n");
      const error = await d.appendLogChunk("r/t/-1/1", 2, -1, "x").then(() => null, (e: unknown) => e);
      expect((error as WeirError).code).toBe("log_chunk_invalid");
      expect(await wholeLog("r/t/-1/1")).toBe("first\nsecond\n");
    });

    it("reads a log's chunks from a byte offset: the one holding it first, at most as many as asked", async () => {
      const key = "r/long/-1/1";
      const texts = ["héllo\n", "日本語\n", "third\n", "fourth\n"];
      let offset = 0;
      for (const [seq, text] of texts.entries()) {
        await d.appendLogChunk(key, seq, offset, text);
        offset += Buffer.byteLength(text);
      }
      const starts = [0, 7, 17, 23];
      expect(await d.readLogFrom(key, 0, 10)).toEqual(texts.map((text, i) => ({ offset: starts[i], text })));
      // Byte 10 is inside the second chunk (日本語 starts at 7): it comes first.
      expect(await d.readLogFrom(key, 10, 2)).toEqual([
        { offset: 7, text: "日本語\n" },
        { offset: 17, text: "third\n" },
      ]);
      expect(await d.readLogFrom(key, 17, 10)).toEqual([
        { offset: 17, text: "third\n" },
        { offset: 23, text: "fourth\n" },
      ]);
      // Past the end: the last chunk (nothing after it); no chunks at all for a try without a log.
      expect(await d.readLogFrom(key, 1000, 10)).toEqual([{ offset: 23, text: "fourth\n" }]);
      expect(await d.readLogFrom("r/none/-1/1", 0, 10)).toEqual([]);
      expect(await d.readLogFrom(key, 0, 0)).toEqual([]);
    });

    it("records the claiming worker on the try it claims, in place of the scheduler's placeholder", async () => {
      await store.savePipelineVersion(graph("p", "v1"), T0);
      await store.createRun(newRun({ id: "r1", taskIds: ["a", "b"] }), T0);
      const started = (taskId: string) => [move(taskId, "pending", "scheduled", 0), move(taskId, "scheduled", "queued", 1), move(taskId, "queued", "running", 1, { worker: "local" })];
      const applied = await store.applyDecisions([decision("r1", T0 + 1, [...started("a"), ...started("b")], { from: "queued", to: "running" })]);
      expect(applied.conflicts).toEqual([]);
      await d.registerWorker(worker("w1", ["default"]), T0);
      const ref = (taskId: string) => ({ runId: "r1", taskId, mapIndex: -1, tryNumber: 1 });
      await d.enqueueTries("s1", [
        { tryKey: "r1/a/-1/1", queue: "default", jobJson: "{}", ref: ref("a") },
        // Queued without saying which try it is (as before migration 0011): claimed, the try left as it was.
        { tryKey: "r1/b/-1/1", queue: "default", jobJson: "{}" },
      ], T0);
      expect((await d.claimTries("w1", ["default"], 2, T0 + 2)).map((t) => t.tryKey).sort()).toEqual(["r1/a/-1/1", "r1/b/-1/1"]);
      const workers = Object.fromEntries((await store.listTries("r1")).map((t) => [t.taskId, t.worker]));
      expect(workers).toEqual({ a: "w1", b: "local" });
    });
  });
}
