// The store contract for pipelines and runs: saving pipeline versions, creating runs with their instances,
// listing runs and claiming their ownership. Called from describeStoreContract (SQLite and Postgres).
import { describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { Store } from "../../src/store/types.js";
import { T0 } from "./contract-support.js";
import { DAY_MS, SEP_1, decision, graph, newRun } from "./fixtures.js";

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeRunsContract(store: () => Store): void {
  describe("pipelines", () => {
    it("saves a version, reads it back and lists it", async () => {
      const p = await store().getPipeline("p");
      expect(p).toEqual({ id: "p", version: "v1", file: "/pipelines/p.ts", paused: false, graph: graph("p", "v1"), updatedMs: T0 });
      expect(await store().getPipelineVersion("p", "v1")).toEqual(graph("p", "v1"));
      expect((await store().listPipelines()).map((x) => x.id)).toEqual(["p"]);
    });

    it("returns null for unknown pipelines and versions", async () => {
      expect(await store().getPipeline("nope")).toBeNull();
      expect(await store().getPipelineVersion("p", "v9")).toBeNull();
      expect(await store().getPipelineVersion("nope", "v1")).toBeNull();
    });

    it("is idempotent for the same version and makes a new version the latest, keeping old ones", async () => {
      await store().savePipelineVersion(graph("p", "v1"), T0 + 50);
      expect((await store().getPipeline("p"))?.updatedMs).toBe(T0);

      await store().savePipelineVersion(graph("p", "v2", ["a", "z"]), T0 + 100);
      const p = await store().getPipeline("p");
      expect(p?.version).toBe("v2");
      expect(p?.graph.order).toEqual(["a", "z"]);
      expect(p?.updatedMs).toBe(T0 + 100);
      expect((await store().getPipelineVersion("p", "v1"))?.order).toEqual(["a", "b", "c"]);

      // Going back to an older version makes it the latest again.
      await store().savePipelineVersion(graph("p", "v1"), T0 + 200);
      expect((await store().getPipeline("p"))?.version).toBe("v1");
    });

    it("lists pipelines by id", async () => {
      await store().savePipelineVersion(graph("b_pipe", "x"), T0);
      await store().savePipelineVersion(graph("a_pipe", "y"), T0);
      expect((await store().listPipelines()).map((x) => x.id)).toEqual(["a_pipe", "b_pipe", "p"]);
    });
  });

  describe("createRun", () => {
    it("creates a queued run with a pending instance per task", async () => {
      const { created, run } = await store().createRun(
        newRun({ id: "r1", params: { threshold: 0.5, name: "x" }, backfillId: "bf1", owner: "me" }),
        T0,
      );
      expect(created).toBe(true);
      expect(run).toEqual({
        id: "r1",
        pipelineId: "p",
        version: "v1",
        state: "queued",
        trigger: "manual",
        logicalDateMs: SEP_1,
        intervalStartMs: SEP_1,
        intervalEndMs: SEP_1 + DAY_MS,
        params: { threshold: 0.5, name: "x" },
        file: "/pipelines/p.ts",
        backfillId: "bf1",
        createdMs: T0,
        startedMs: null,
        endedMs: null,
        owner: "me",
      });
      expect(await store().getRun("r1")).toEqual(run);
      const instances = await store().listTaskInstances("r1");
      expect(instances).toHaveLength(3);
      expect(instances[0]).toEqual({
        runId: "r1",
        taskId: "a",
        mapIndex: -1,
        state: "pending",
        tryNumber: 0,
        retryBase: 0,
        mapShape: null,
        cached: false,
        retryAtMs: null,
        startedMs: null,
        endedMs: null,
      });
      expect(instances.map((i) => i.state)).toEqual(["pending", "pending", "pending"]);
    });

    it("does not create a second scheduled run for the same pipeline and logical date", async () => {
      const first = await store().createRun(newRun({ id: "s1", trigger: "scheduled" }), T0);
      const again = await store().createRun(newRun({ id: "s2", trigger: "scheduled", taskIds: ["a"] }), T0 + 5);
      expect(again.created).toBe(false);
      expect(again.run).toEqual(first.run);
      expect(await store().getRun("s2")).toBeNull();
      expect(await store().listTaskInstances("s2")).toEqual([]);
      // Another logical date, or a manual run at the same date, is a new run.
      expect((await store().createRun(newRun({ id: "s3", trigger: "scheduled", logicalDateMs: SEP_1 + DAY_MS }), T0)).created).toBe(true);
      expect((await store().createRun(newRun({ id: "m1", trigger: "manual" }), T0)).created).toBe(true);
      expect((await store().createRun(newRun({ id: "m2", trigger: "manual" }), T0)).created).toBe(true);
    });

    it("rejects a run of an unregistered version and writes nothing", async () => {
      const error = await store().createRun(newRun({ id: "r1", version: "v404" }), T0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeirError);
      expect((error as WeirError).code).toBe("pipeline_version_unknown");
      expect(await store().getRun("r1")).toBeNull();
    });

    it("rejects a duplicate run id or task id and writes nothing", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      const dupRun = await store().createRun(newRun({ id: "r1", taskIds: ["x"] }), T0).catch((e: unknown) => e);
      expect((dupRun as WeirError).code).toBe("run_conflict");
      expect((await store().listTaskInstances("r1")).map((i) => i.taskId)).toEqual(["a", "b", "c"]);

      const dupTask = await store().createRun(newRun({ id: "r2", taskIds: ["a", "a"] }), T0).catch((e: unknown) => e);
      expect((dupTask as WeirError).code).toBe("run_conflict");
      expect(await store().getRun("r2")).toBeNull();
    });

    it("creates runs with many tasks", async () => {
      const taskIds = Array.from({ length: 1234 }, (_, i) => `t${String(i).padStart(5, "0")}`);
      await store().createRun(newRun({ id: "big", taskIds }), T0);
      const instances = await store().listTaskInstances("big");
      expect(instances.map((i) => i.taskId)).toEqual(taskIds);
    });
  });

  describe("runs", () => {
    it("returns null for an unknown run", async () => {
      expect(await store().getRun("nope")).toBeNull();
    });

    it("lists runs newest first, filtered by pipeline and state, limited", async () => {
      await store().savePipelineVersion(graph("q", "w1"), T0);
      await store().createRun(newRun({ id: "old" }), T0 + 1);
      await store().createRun(newRun({ id: "mid" }), T0 + 2);
      await store().createRun(newRun({ id: "q1", pipelineId: "q", version: "w1" }), T0 + 3);
      await store().createRun(newRun({ id: "new" }), T0 + 4);
      await store().applyDecisions([decision("mid", T0 + 5, [], { from: "queued", to: "running" })]);

      expect((await store().listRuns({})).map((r) => r.id)).toEqual(["new", "q1", "mid", "old"]);
      expect((await store().listRuns({ pipelineId: "p" })).map((r) => r.id)).toEqual(["new", "mid", "old"]);
      expect((await store().listRuns({ pipelineId: "q" })).map((r) => r.id)).toEqual(["q1"]);
      expect((await store().listRuns({ states: ["running"] })).map((r) => r.id)).toEqual(["mid"]);
      expect((await store().listRuns({ states: ["queued", "running"], pipelineId: "p" })).map((r) => r.id)).toEqual([
        "new",
        "mid",
        "old",
      ]);
      expect((await store().listRuns({ states: ["success"] })).map((r) => r.id)).toEqual([]);
      expect((await store().listRuns({ limit: 2 })).map((r) => r.id)).toEqual(["new", "q1"]);
      expect((await store().listRuns({ pipelineId: "none" })).map((r) => r.id)).toEqual([]);
    });

    it("lists at most 100 runs by default", async () => {
      for (let i = 0; i < 105; i++) await store().createRun(newRun({ id: `r${i}`, taskIds: [] }), T0 + i);
      const runs = await store().listRuns({});
      expect(runs).toHaveLength(100);
      expect(runs[0]?.id).toBe("r104");
    });

    it("sets the owner only when the expected owner holds it", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      expect(await store().setRunOwner("r1", "a", "b")).toBe(false);
      expect(await store().setRunOwner("r1", "a", null)).toBe(true);
      expect((await store().getRun("r1"))?.owner).toBe("a");
      expect(await store().setRunOwner("r1", "b", null)).toBe(false);
      expect(await store().setRunOwner("r1", "b", "x")).toBe(false);
      expect(await store().setRunOwner("r1", "b", "a")).toBe(true);
      expect(await store().setRunOwner("r1", null, "b")).toBe(true);
      expect((await store().getRun("r1"))?.owner).toBeNull();
      expect(await store().setRunOwner("nope", "a", null)).toBe(false);
    });

    it("claims the unowned runs of a list in one go, and only those", async () => {
      for (const id of ["c1", "c2", "c3"]) await store().createRun(newRun({ id, taskIds: [] }), T0);
      expect(await store().setRunOwner("c2", "other", null)).toBe(true);
      expect((await store().claimUnownedRuns(["c1", "c2", "c3", "nope"], "me")).sort()).toEqual(["c1", "c3"]);
      expect((await store().getRun("c2"))?.owner).toBe("other");
      expect((await store().getRun("c3"))?.owner).toBe("me");
      expect(await store().claimUnownedRuns([], "me")).toEqual([]);
    });
  });
}
