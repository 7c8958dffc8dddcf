// The store contract for caching, artifact references and sub-pipeline links (migration 0005). Called from
// describeStoreContract, so it runs on every backend that suite runs on (SQLite and Postgres).
import { describe, expect, it } from "vitest";
import type { InstanceTransition } from "../../src/engine/types.js";
import type { Store } from "../../src/store/types.js";
import { decision, move, newRun } from "./fixtures.js";
import { T0 } from "./contract-support.js";

const DIGEST = "ab".repeat(32);
const OTHER = "cd".repeat(32);

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeCacheContract(store: () => Store): void {
  /** Runs task `a` of `runId` to success at `endMs` with these success details. */
  async function succeed(runId: string, endMs: number, details: Partial<InstanceTransition>): Promise<void> {
    const steps = [move("a", "pending", "scheduled", 0), move("a", "scheduled", "queued", 1), move("a", "queued", "running", 1, { worker: "w" }), move("a", "running", "success", 1, details)];
    const result = await store().applyDecisions([decision(runId, endMs, steps, { from: "queued", to: "running" })]);
    expect(result.conflicts).toEqual([]);
  }

  describe("cache, artifacts and sub-runs", () => {
    it("finds the newest success computed under a key, within the TTL bound; a cached success is marked and not a source", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      await store().createRun(newRun({ id: "r2" }), T0);
      await store().createRun(newRun({ id: "r3" }), T0);
      await succeed("r1", T0 + 10, { output: "[1]", cacheKey: "k" });
      await succeed("r2", T0 + 20, { output: "[2]", cacheKey: "k" });
      await succeed("r3", T0 + 30, { output: "[2]", cached: true });
      expect(await store().findCachedTry("k", 0)).toEqual({ runId: "r2", taskId: "a", mapIndex: -1, tryNumber: 1, output: "[2]", endedMs: T0 + 20 });
      expect(await store().findCachedTry("k", T0 + 21)).toBeNull();
      expect(await store().findCachedTry("other", 0)).toBeNull();
      const instances = await store().listTaskInstances("r3");
      expect(instances.find((i) => i.taskId === "a")).toMatchObject({ state: "success", cached: true });
      expect((await store().listTaskInstances("r2")).find((i) => i.taskId === "a")?.cached).toBe(false);
    });

    it("keeps a run's no-cache setting", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      expect(await store().isRunNoCache("r1")).toBe(false);
      await store().setRunNoCache("r1", true);
      expect(await store().isRunNoCache("r1")).toBe(true);
      await store().setRunNoCache("r1", false);
      expect(await store().isRunNoCache("r1")).toBe(false);
    });

    it("records artifact references with successes and lists what only old runs reference", async () => {
      await store().createRun(newRun({ id: "old" }), T0);
      await store().createRun(newRun({ id: "new" }), T0 + 1000);
      await store().createRun(newRun({ id: "new2" }), T0 + 1000);
      await succeed("old", T0 + 10, { output: `@artifact:sha256:${DIGEST}:10` });
      await succeed("new", T0 + 1010, { output: `@artifact:sha256:${OTHER}:20` });
      await succeed("new2", T0 + 1020, { output: "[3]" });
      expect(await store().referencedArtifacts()).toEqual(new Set([DIGEST, OTHER]));
      expect(await store().prunableArtifacts(T0 + 500)).toEqual([{ digest: DIGEST, bytes: 10 }]);
      expect(await store().prunableArtifacts(T0)).toEqual([]);
      await store().forgetArtifact(DIGEST);
      expect(await store().referencedArtifacts()).toEqual(new Set([OTHER]));
      expect(await store().prunableArtifacts(T0 + 500)).toEqual([]);
    });

    it("links sub-runs to their parent's try both ways", async () => {
      await store().createRun(newRun({ id: "parent" }), T0);
      await store().createRun(newRun({ id: "child" }), T0);
      const link = { childRunId: "child", parentRunId: "parent", parentTaskId: "a", parentMapIndex: -1, parentTryNumber: 2, createdMs: T0 + 5 };
      await store().linkSubRun(link);
      expect(await store().listSubRuns("parent")).toEqual([link]);
      expect(await store().getParentRun("child")).toEqual(link);
      expect(await store().getParentRun("parent")).toBeNull();
      expect(await store().listSubRuns("child")).toEqual([]);
    });
  });
}
