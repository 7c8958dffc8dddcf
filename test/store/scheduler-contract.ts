// The store contract for the scheduler's verbs (pause, catch-up and backfill queries, batch run creation,
// backfills, pools, leases). Called from describeStoreContract, so it runs on every backend that suite runs on.
import { describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { NewBackfill, Store } from "../../src/store/types.js";
import { DAY_MS, SEP_1, decision, graph, newRun } from "./fixtures.js";
import { describeLeaseContract } from "./lease-contract.js";

const T0 = 1_760_000_000_000;

export interface StoreContractOptions {
  /**
   * Set for a store whose lease verbs run on the database's clock (Postgres): reads that clock. Absent: the
   * caller's `nowMs` decides (SQLite), and lease tests simulate time.
   */
  databaseNowMs?: () => Promise<number>;
}

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeSchedulerContract(store: () => Store, options: StoreContractOptions = {}): void {
  async function errorOf(promise: Promise<unknown>): Promise<WeirError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WeirError);
    return error as WeirError;
  }

  async function moveRun(runId: string, from: "queued" | "running", to: "running" | "success" | "failed" | "canceled"): Promise<void> {
    const result = await store().applyDecisions([decision(runId, T0 + 1, [], { from, to })]);
    expect(result.conflicts).toEqual([]);
  }

  const day = (n: number): number => SEP_1 + n * DAY_MS;
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

  describe("backfills", () => {
    const backfill = (over: Partial<NewBackfill> = {}): NewBackfill => ({
      id: "bf1",
      pipelineId: "p",
      fromMs: day(0),
      toMs: day(2),
      concurrency: 2,
      reprocess: "none",
      totalRuns: 3,
      ...over,
    });
    const backfillRun = (id: string, n: number) =>
      newRun({ id, trigger: "backfill", logicalDateMs: day(n), intervalStartMs: day(n), intervalEndMs: day(n + 1) });

    it("creates a backfill with its runs tagged by its id, reads and lists it", async () => {
      const { backfill: record, runs } = await store().createBackfill(
        backfill(),
        [backfillRun("b0", 0), backfillRun("b1", 1), { ...backfillRun("b2", 2), backfillId: "something-else" }],
        T0,
      );
      expect(record).toEqual({
        id: "bf1",
        pipelineId: "p",
        fromMs: day(0),
        toMs: day(2),
        concurrency: 2,
        reprocess: "none",
        state: "running",
        createdMs: T0,
        endedMs: null,
        totalRuns: 3,
      });
      expect(runs).toEqual([
        { id: "b0", created: true },
        { id: "b1", created: true },
        { id: "b2", created: true },
      ]);
      expect(await store().getBackfill("bf1")).toEqual(record);
      expect((await store().listRuns({ backfillId: "bf1" })).map((r) => [r.id, r.trigger, r.backfillId])).toEqual([
        ["b2", "backfill", "bf1"],
        ["b1", "backfill", "bf1"],
        ["b0", "backfill", "bf1"],
      ]);
      expect(await store().listTaskInstances("b1")).toHaveLength(3);
      expect(await store().getBackfill("nope")).toBeNull();
    });

    it("stores an unlimited concurrency and a backfill without runs", async () => {
      const { backfill: record } = await store().createBackfill(backfill({ concurrency: null, reprocess: "all", totalRuns: 0 }), [], T0);
      expect(record).toMatchObject({ concurrency: null, reprocess: "all", totalRuns: 0 });
    });

    it("lists backfills newest first, by pipeline and state", async () => {
      await store().savePipelineVersion(graph("q", "w1"), T0);
      await store().createBackfill(backfill({ id: "a" }), [], T0 + 1);
      await store().createBackfill(backfill({ id: "b", pipelineId: "q" }), [], T0 + 2);
      await store().createBackfill(backfill({ id: "c" }), [], T0 + 3);
      expect(await store().setBackfillState("a", "success", "running", T0 + 9)).toBe(true);

      const ids = async (filter?: Parameters<Store["listBackfills"]>[0]) => (await store().listBackfills(filter)).map((b) => b.id);
      expect(await ids()).toEqual(["c", "b", "a"]);
      expect(await ids({ pipelineId: "p" })).toEqual(["c", "a"]);
      expect(await ids({ states: ["running"] })).toEqual(["c", "b"]);
      expect(await ids({ states: ["running"], pipelineId: "q" })).toEqual(["b"]);
      expect(await ids({ states: ["success", "canceled"] })).toEqual(["a"]);
      expect(await ids({ states: [] })).toEqual(["c", "b", "a"]);
    });

    it("moves state only from the expected state, a conflict being a value; sets and clears the end", async () => {
      await store().createBackfill(backfill(), [], T0);
      expect(await store().setBackfillState("bf1", "success", "canceled", T0 + 1)).toBe(false);
      expect(await store().getBackfill("bf1")).toMatchObject({ state: "running", endedMs: null });
      expect(await store().setBackfillState("bf1", "canceled", "running", T0 + 2)).toBe(true);
      expect(await store().getBackfill("bf1")).toMatchObject({ state: "canceled", endedMs: T0 + 2 });
      // A finish racing the cancel loses.
      expect(await store().setBackfillState("bf1", "success", "running", T0 + 3)).toBe(false);
      expect(await store().getBackfill("bf1")).toMatchObject({ state: "canceled", endedMs: T0 + 2 });
      expect(await store().setBackfillState("bf1", "running", "canceled", T0 + 4)).toBe(true);
      expect(await store().getBackfill("bf1")).toMatchObject({ state: "running", endedMs: null });
      expect(await store().setBackfillState("nope", "failed", "running", T0)).toBe(false);
    });

    it("lets one of two racing state changes win", async () => {
      await store().createBackfill(backfill(), [], T0);
      const outcomes = await Promise.all([
        store().setBackfillState("bf1", "success", "running", T0 + 1),
        store().setBackfillState("bf1", "canceled", "running", T0 + 1),
      ]);
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });

    it("refuses bad input, an unknown pipeline and a taken id, writing nothing", async () => {
      const codeOf = async (b: NewBackfill, runs = [backfillRun("x0", 0)]) => (await errorOf(store().createBackfill(b, runs, T0))).code;
      expect(await codeOf(backfill({ fromMs: day(3), toMs: day(2) }))).toBe("backfill_invalid");
      expect(await codeOf(backfill({ concurrency: 0 }))).toBe("backfill_invalid");
      expect(await codeOf(backfill({ concurrency: 1.5 }))).toBe("backfill_invalid");
      expect(await codeOf(backfill({ reprocess: "some" as NewBackfill["reprocess"] }))).toBe("backfill_invalid");
      expect(await codeOf(backfill({ totalRuns: -1 }))).toBe("backfill_invalid");
      expect(await codeOf(backfill({ id: "has space" }))).toBe("backfill_invalid");
      expect(await codeOf(backfill(), [{ ...backfillRun("x0", 0), pipelineId: "q" }])).toBe("backfill_invalid");
      expect(await codeOf(backfill({ pipelineId: "nope" }), [])).toBe("pipeline_unknown");
      // A run that cannot be created takes its backfill with it.
      expect(await codeOf(backfill(), [backfillRun("x0", 0), { ...backfillRun("x1", 1), version: "v404" }])).toBe("pipeline_version_unknown");
      expect(await store().getBackfill("bf1")).toBeNull();
      expect(await store().listBackfills()).toEqual([]);
      expect(await store().getRun("x0")).toBeNull();

      await store().createBackfill(backfill(), [], T0);
      expect(await codeOf(backfill({ fromMs: day(5), toMs: day(6) }))).toBe("backfill_conflict");
      expect(await store().getBackfill("bf1")).toMatchObject({ fromMs: day(0) });
      expect(await store().getRun("x0")).toBeNull();
    });
  });

  describe("pools", () => {
    it("has the default pool after migrate, with 128 slots, kept by a later migrate", async () => {
      expect(await store().getPool("default")).toMatchObject({ name: "default", slots: 128 });
      await store().setPool({ name: "default", slots: 4 }, T0);
      await store().migrate({ defaultPoolSlots: 64 });
      expect(await store().getPool("default")).toMatchObject({ slots: 4 });
      expect((await store().listPools()).map((p) => p.name)).toEqual(["default"]);
    });

    it("refuses a bad default pool size", async () => {
      expect((await errorOf(store().migrate({ defaultPoolSlots: -1 }))).code).toBe("pool_invalid");
      expect((await store().getPool("default"))?.slots).toBe(128);
    });

    it("creates and updates pools, keeping the description unless given, listing by name", async () => {
      expect(await store().setPool({ name: "spark", slots: 4, description: "the cluster" }, T0)).toEqual({
        name: "spark",
        slots: 4,
        description: "the cluster",
        updatedMs: T0,
      });
      expect(await store().setPool({ name: "spark", slots: 8 }, T0 + 1)).toEqual({
        name: "spark",
        slots: 8,
        description: "the cluster",
        updatedMs: T0 + 1,
      });
      expect(await store().setPool({ name: "spark", slots: 0, description: null }, T0 + 2)).toMatchObject({ slots: 0, description: null });
      expect(await store().setPool({ name: "api", slots: 1 }, T0)).toMatchObject({ description: null });
      expect(await store().getPool("spark")).toMatchObject({ slots: 0, updatedMs: T0 + 2 });
      expect(await store().getPool("nope")).toBeNull();
      expect((await store().listPools()).map((p) => [p.name, p.slots])).toEqual([
        ["api", 1],
        ["default", 128],
        ["spark", 0],
      ]);
    });

    it("refuses negative, fractional and non-numeric slots and bad names, changing nothing", async () => {
      await store().setPool({ name: "gpu", slots: 2 }, T0);
      for (const slots of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "3" as unknown as number]) {
        const error = await errorOf(store().setPool({ name: "gpu", slots }, T0 + 1));
        expect(error.code).toBe("pool_invalid");
        expect(error.message).toContain("gpu");
      }
      for (const name of ["", "has space", "a/b", "x".repeat(251)]) {
        expect((await errorOf(store().setPool({ name, slots: 1 }, T0))).code).toBe("pool_invalid");
      }
      expect(await store().getPool("gpu")).toMatchObject({ slots: 2, updatedMs: T0 });
      expect((await store().listPools()).map((p) => p.name)).toEqual(["default", "gpu"]);
    });
  });

  describeLeaseContract(store, options);
}
