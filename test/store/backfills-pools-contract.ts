// The store contract for backfills (created with their runs in one transaction, state moved only from the
// expected state) and pools (slots, the default pool). Called from describeStoreContract, so it runs on every
// backend that suite runs on.
import { describe, expect, it } from "vitest";
import type { NewBackfill, Store } from "../../src/store/types.js";
import { day, errorOf, T0 } from "./contract-support.js";
import { graph, newRun } from "./fixtures.js";

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeBackfillsPoolsContract(store: () => Store): void {
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
}
