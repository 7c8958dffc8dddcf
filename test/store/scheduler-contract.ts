// The store contract for the scheduler's verbs (pause, catch-up queries, listRuns filters and pages, batch
// run creation). Called from describeStoreContract, so it runs on every backend that suite runs on.
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import { day, errorOf, T0 } from "./contract-support.js";
import { decision, graph, newRun } from "./fixtures.js";

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeSchedulerContract(store: () => Store): void {
  async function moveRun(runId: string, from: "queued" | "running", to: "running" | "success" | "failed" | "canceled"): Promise<void> {
    const result = await store().applyDecisions([decision(runId, T0 + 1, [], { from, to })]);
    expect(result.conflicts).toEqual([]);
  }

  const scheduled = (id: string, n: number) =>
    newRun({ id, trigger: "scheduled", logicalDateMs: day(n), intervalStartMs: day(n), intervalEndMs: day(n + 1) });

  describe("pause", () => {
    it("pauses and unpauses a pipeline, idempotently, and says when the pipeline is unknown", async () => {
      expect(await store().setPaused("p", true)).toBe(true);
      expect((await store().getPipeline("p"))?.paused).toBe(true);
      expect(await store().setPaused("p", true)).toBe(true);
      // A new version keeps the pipeline paused, and pausing does not touch the version's time.
      await store().savePipelineVersion(graph("p", "v2"), T0 + 10);
      expect(await store().getPipeline("p")).toMatchObject({ paused: true, version: "v2", updatedMs: T0 + 10 });
      expect(await store().setPaused("p", false)).toBe(true);
      expect(await store().getPipeline("p")).toMatchObject({ paused: false, updatedMs: T0 + 10 });
      expect(await store().setPaused("nope", true)).toBe(false);
      expect(await store().getPipeline("nope")).toBeNull();
    });
  });

  describe("queries of the scheduler", () => {
    it("finds the latest scheduled logical date, ignoring other triggers and pipelines", async () => {
      expect(await store().latestScheduledLogicalDate("p")).toBeNull();
      await store().savePipelineVersion(graph("q", "w1"), T0);
      await store().createRun(scheduled("s1", 1), T0);
      await store().createRun(scheduled("s3", 3), T0);
      await store().createRun(scheduled("s2", 2), T0);
      await store().createRun(newRun({ id: "m", trigger: "manual", logicalDateMs: day(9) }), T0);
      await store().createRun(newRun({ id: "b", trigger: "backfill", logicalDateMs: day(8) }), T0);
      await store().createRun({ ...scheduled("q1", 20), pipelineId: "q", version: "w1" }, T0);
      expect(await store().latestScheduledLogicalDate("p")).toBe(day(3));
      expect(await store().latestScheduledLogicalDate("q")).toBe(day(20));
      expect(await store().latestScheduledLogicalDate("nope")).toBeNull();
    });

    it("lists queued and running runs of every pipeline oldest first, and counts running ones per pipeline", async () => {
      await store().savePipelineVersion(graph("q", "w1"), T0);
      await store().createRun(newRun({ id: "r2" }), T0 + 2);
      await store().createRun(newRun({ id: "r1" }), T0 + 1);
      await store().createRun(newRun({ id: "r3", pipelineId: "q", version: "w1" }), T0 + 3);
      await store().createRun(newRun({ id: "r4" }), T0 + 4);
      await store().createRun(newRun({ id: "r0" }), T0);
      await moveRun("r1", "queued", "running");
      await moveRun("r3", "queued", "running");
      await moveRun("r4", "queued", "running");
      await moveRun("r4", "running", "success");
      await moveRun("r0", "queued", "canceled");

      expect((await store().listActiveRuns()).map((r) => [r.id, r.state])).toEqual([
        ["r1", "running"],
        ["r2", "queued"],
        ["r3", "running"],
      ]);
      // maxActiveRuns counts running runs; queued ones wait for a slot.
      expect(await store().countActiveRuns("p")).toBe(1);
      expect(await store().countActiveRuns("q")).toBe(1);
      expect(await store().countActiveRuns("nope")).toBe(0);
      await moveRun("r2", "queued", "running");
      expect(await store().countActiveRuns("p")).toBe(2);
    });

    it("lists runs by logical date in an inclusive range, every trigger, ordered by date then creation", async () => {
      await store().savePipelineVersion(graph("q", "w1"), T0);
      await store().createRun(scheduled("s1", 1), T0);
      await store().createRun(scheduled("s2", 2), T0);
      await store().createRun(scheduled("s4", 4), T0);
      await store().createRun(newRun({ id: "m2", trigger: "manual", logicalDateMs: day(2) }), T0 + 5);
      await store().createRun({ ...scheduled("q2", 2), pipelineId: "q", version: "w1" }, T0);
      await moveRun("s2", "queued", "running");
      await moveRun("s2", "running", "failed");

      expect(await store().runsByLogicalDate("p", day(2), day(4))).toEqual([
        { logicalDateMs: day(2), state: "failed", id: "s2" },
        { logicalDateMs: day(2), state: "queued", id: "m2" },
        { logicalDateMs: day(4), state: "queued", id: "s4" },
      ]);
      expect((await store().runsByLogicalDate("p", day(1), day(1))).map((r) => r.id)).toEqual(["s1"]);
      expect(await store().runsByLogicalDate("p", day(5), day(9))).toEqual([]);
      expect(await store().runsByLogicalDate("nope", day(0), day(9))).toEqual([]);
    });
  });

  describe("listRuns filters and pages", () => {
    it("filters by trigger, backfill and logical date range", async () => {
      await store().createRun(scheduled("s1", 1), T0 + 1);
      await store().createRun(scheduled("s2", 2), T0 + 2);
      await store().createRun(newRun({ id: "m3", trigger: "manual", logicalDateMs: day(3) }), T0 + 3);
      await store().createRun(newRun({ id: "b1", trigger: "backfill", backfillId: "bf1", logicalDateMs: day(1) }), T0 + 4);
      await store().createRun(newRun({ id: "b2", trigger: "backfill", backfillId: "bf2", logicalDateMs: day(2) }), T0 + 5);
      await moveRun("b1", "queued", "running");

      const ids = async (filter: Parameters<Store["listRuns"]>[0]) => (await store().listRuns(filter)).map((r) => r.id);
      expect(await ids({ trigger: "scheduled" })).toEqual(["s2", "s1"]);
      expect(await ids({ trigger: "backfill" })).toEqual(["b2", "b1"]);
      expect(await ids({ backfillId: "bf1" })).toEqual(["b1"]);
      expect(await ids({ backfillId: "bf1", states: ["queued"] })).toEqual([]);
      expect(await ids({ backfillId: "bf1", states: ["running"] })).toEqual(["b1"]);
      expect(await ids({ logicalDateFromMs: day(2) })).toEqual(["b2", "m3", "s2"]);
      expect(await ids({ logicalDateToMs: day(2) })).toEqual(["b2", "b1", "s2", "s1"]);
      expect(await ids({ logicalDateFromMs: day(2), logicalDateToMs: day(2), trigger: "scheduled", pipelineId: "p" })).toEqual(["s2"]);
      expect(await ids({ logicalDateFromMs: day(4) })).toEqual([]);
      expect(await ids({ backfillId: "none" })).toEqual([]);
    });

    it("pages with a keyset cursor that stays stable while runs are created, ties broken by logical date then id", async () => {
      // 7 runs created at the same instant (a batch) and 3 later ones.
      await store().createRuns(Array.from({ length: 7 }, (_, i) => scheduled(`s${i}`, i)), T0);
      for (let i = 0; i < 3; i++) await store().createRun(newRun({ id: `m${i}`, logicalDateMs: day(0) }), T0 + 10 + i);
      const all = (await store().listRuns({ limit: 100 })).map((r) => r.id);
      expect(all).toEqual(["m2", "m1", "m0", "s6", "s5", "s4", "s3", "s2", "s1", "s0"]);

      const pages: string[][] = [];
      let page = await store().listRuns({ limit: 4 });
      while (page.length > 0) {
        pages.push(page.map((r) => r.id));
        // A run created meanwhile is newer than the cursor: it never shifts the next pages.
        if (pages.length === 1) await store().createRun(newRun({ id: "late" }), T0 + 100);
        page = await store().listRuns({ limit: 4, before: page.at(-1)! });
      }
      expect(pages).toEqual([
        ["m2", "m1", "m0", "s6"],
        ["s5", "s4", "s3", "s2"],
        ["s1", "s0"],
      ]);
      // Same logical date, same creation time: the id decides.
      await store().createRun(newRun({ id: "x1", logicalDateMs: day(50) }), T0 + 200);
      await store().createRun(newRun({ id: "x2", logicalDateMs: day(50) }), T0 + 200);
      const top = await store().listRuns({ limit: 1 });
      expect(top.map((r) => r.id)).toEqual(["x2"]);
      expect((await store().listRuns({ limit: 2, before: top[0]! })).map((r) => r.id)).toEqual(["x1", "late"]);
      // Filters and the cursor combine.
      const cursor = { createdMs: T0, logicalDateMs: day(3), id: "s3" };
      expect((await store().listRuns({ trigger: "scheduled", before: cursor })).map((r) => r.id)).toEqual(["s2", "s1", "s0"]);
    });
  });

  describe("createRuns", () => {
    it("creates new runs and reports existing scheduled logical dates as not created, in input order", async () => {
      await store().createRun(scheduled("old2", 2), T0);
      const results = await store().createRuns(
        [
          scheduled("n1", 1),
          scheduled("n2", 2), // exists as old2
          newRun({ id: "m2", trigger: "manual", logicalDateMs: day(2) }), // not scheduled: always new
          scheduled("n3", 3),
          scheduled("n3b", 3), // same date earlier in this batch
        ],
        T0 + 10,
      );
      expect(results).toEqual([
        { id: "n1", created: true },
        { id: "old2", created: false },
        { id: "m2", created: true },
        { id: "n3", created: true },
        { id: "n3", created: false },
      ]);
      expect(await store().getRun("n2")).toBeNull();
      expect(await store().getRun("n3b")).toBeNull();
      expect(await store().getRun("n1")).toMatchObject({ state: "queued", trigger: "scheduled", createdMs: T0 + 10, logicalDateMs: day(1) });
      expect((await store().listTaskInstances("n1")).map((i) => [i.taskId, i.state])).toEqual([
        ["a", "pending"],
        ["b", "pending"],
        ["c", "pending"],
      ]);
      expect(await store().listTaskInstances("n2")).toEqual([]);
      expect((await store().listTaskInstances("old2")).map((i) => i.taskId)).toEqual(["a", "b", "c"]);
      // Creating the same batch again creates nothing new.
      const again = await store().createRuns([scheduled("z1", 1), scheduled("z3", 3)], T0 + 20);
      expect(again).toEqual([
        { id: "n1", created: false },
        { id: "n3", created: false },
      ]);
      expect(await store().createRuns([], T0)).toEqual([]);
    });

    it("creates a year of daily runs of 10 tasks in one call", async () => {
      const taskIds = Array.from({ length: 10 }, (_, i) => `t${i}`);
      await store().savePipelineVersion(graph("y", "v1", taskIds), T0);
      const runs = Array.from({ length: 365 }, (_, i) => ({ ...scheduled(`y${i}`, i), pipelineId: "y", taskIds }));
      const results = await store().createRuns(runs, T0);
      expect(results.every((r) => r.created)).toBe(true);
      expect(await store().latestScheduledLogicalDate("y")).toBe(day(364));
      expect(await store().listTaskInstances("y0")).toHaveLength(10);
      expect((await store().listTaskInstances("y364")).map((i) => i.taskId)).toEqual(taskIds);
      expect(await store().listActiveRuns()).toHaveLength(365);
      expect(await store().runsByLogicalDate("y", day(0), day(364))).toHaveLength(365);
    });

    it("writes nothing of the batch when one run fails, and names that run", async () => {
      const unknownVersion = await errorOf(
        store().createRuns([scheduled("ok1", 1), newRun({ id: "bad", version: "v404" }), scheduled("ok2", 2)], T0),
      );
      expect(unknownVersion.code).toBe("pipeline_version_unknown");
      expect(unknownVersion.message).toContain("bad");
      const dupTask = await errorOf(store().createRuns([scheduled("ok1", 1), newRun({ id: "dup", taskIds: ["a", "a"] })], T0));
      expect(dupTask.code).toBe("run_conflict");
      expect(dupTask.message).toContain("dup");
      await store().createRun(newRun({ id: "taken" }), T0);
      const dupId = await errorOf(store().createRuns([scheduled("ok1", 1), newRun({ id: "taken" })], T0));
      expect(dupId.code).toBe("run_conflict");
      expect(dupId.message).toContain("taken");
      expect(await store().getRun("ok1")).toBeNull();
      expect(await store().getRun("ok2")).toBeNull();
      expect(await store().listTaskInstances("ok1")).toEqual([]);
      expect(await store().latestScheduledLogicalDate("p")).toBeNull();
    });
  });
}
