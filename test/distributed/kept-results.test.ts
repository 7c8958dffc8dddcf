// A result the store executor took stays in the store until the coordinator committed its decision
// (`committed`), however many housekeeping rounds pass: a scheduler that dies or fails before the commit
// leaves it to its successor, which applies it instead of running the try again. Only then, and only by the
// lease's holder, is it removed. On SQLite and Postgres.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StoreQueueExecutor } from "../../src/executor/distributed/store-queue-executor.js";
import { SqlStore } from "../../src/store/sql-store.js";
import type { TryJob } from "../../src/worker/protocol.js";
import { openTestStore, STORE_KINDS } from "../support/test-stores.js";

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const job = (tryKey: string): TryJob => {
  const [runId = "", taskId = "", mapIndex = "-1", tryNumber = "1"] = tryKey.split("/");
  return {
    tryKey,
    file: "p.ts",
    pipelineId: "p",
    version: "v1",
    taskId,
    mapIndex: Number(mapIndex),
    tryNumber: Number(tryNumber),
    maxTries: 1,
    runId,
    logicalDateMs: 0,
    intervalStartMs: 0,
    intervalEndMs: 0,
    params: {},
    inputs: {},
    logPath: "/dev/null",
    timeoutMs: null,
    idempotencyKey: tryKey,
  };
};

const notUsed = (): never => {
  throw new Error("not used here");
};

for (const kind of STORE_KINDS) {
  describe(`kept results on ${kind}`, () => {
    it("stay in the store until their decision is committed, through housekeeping, and a successor adopts them", async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-kept-"));
      homes.push(home);
      const store = await openTestStore(kind, home);
      if (!(store instanceof SqlStore)) throw new Error("the SQL store");
      const d = store.distributed;
      expect(await store.acquireLease("scheduler", "A", Date.now(), 600_000)).toBe(true);
      const fenceA = { lease: "scheduler", owner: "A" };
      const results: string[] = [];
      // Each housekeeping round ends by reading the workers: a new worker makes it say so (onCapacity).
      let roundDone = (): void => {};
      const executor = new StoreQueueExecutor({
        queue: d,
        graphs: store,
        schedulerId: "sA",
        fence: fenceA,
        preparer: { load: notUsed, parseParams: notUsed },
        onResult: (tryKey) => results.push(tryKey),
        onCapacity: () => roundDone(),
        pollMs: 10,
        housekeepingMs: 10,
      });
      const housekeeping = async (worker: string): Promise<void> => {
        const done = new Promise<void>((resolve) => (roundDone = resolve));
        await d.registerWorker({ id: worker, host: "h", pid: 1, queues: ["default"], slots: 1, version: "test" }, Date.now());
        await done;
      };
      try {
        await executor.start();
        executor.submit(job("r/a/-1/1"));
        await housekeeping("w1");
        // Queued by the executor's flush, which may still be on its way.
        let claimed = await d.claimTries("w1", ["default"], 1, Date.now());
        while (claimed.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          claimed = await d.claimTries("w1", ["default"], 1, Date.now());
        }
        expect(claimed.map((c) => c.tryKey)).toEqual(["r/a/-1/1"]);
        expect(await d.completeTry("w1", { tryKey: "r/a/-1/1", resultJson: '{"outcome":"success","output":"1"}', startedMs: 1, endedMs: 2 })).toBe(true);
        while (results.length === 0) await housekeeping(`w${results.length + 2}-${Math.random()}`);
        expect(results).toEqual(["r/a/-1/1"]);
        // Rounds of housekeeping pass without the decision committing (a slow tick, a failed commit).
        await housekeeping("w-later-1");
        await housekeeping("w-later-2");
        // A successor taking over now finds the result.
        expect(await store.acquireLease("scheduler", "A", Date.now(), 600_000)).toBe(true);
        expect((await d.adoptOtherSchedulers("sB", fenceA)).map((t) => [t.tryKey, t.state])).toEqual([["r/a/-1/1", "done"]]);
        expect((await d.takeResults("sB", "sB#kept")).map((r) => r.tryKey)).toEqual(["r/a/-1/1"]);
        // Once committed, it goes (the executor removes kept results of its acknowledged tries, whoever tagged them).
        executor.committed(["r/a/-1/1"]);
        // Two rounds: the first may have begun its poll (where kept results are removed) before `committed`.
        await housekeeping("w-after-1");
        await housekeeping("w-after-2");
        expect(await d.adoptOtherSchedulers("sC", fenceA)).toEqual([]);
      } finally {
        await executor.close();
        await store.close();
      }
    });
  });
}
