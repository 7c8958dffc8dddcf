// The store contract for applyDecisions (the engine's commits: run and instance transitions guarded by their
// from-states, tries, conflicts as values) and for reading outputs and tries back. Called from
// describeStoreContract (SQLite and Postgres).
import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/engine/types.js";
import type { Store } from "../../src/store/types.js";
import { runHelpers, T0 } from "./contract-support.js";
import { decision, failure, move, newRun } from "./fixtures.js";

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeDecisionsContract(store: () => Store): void {
  const { startedRun, instance } = runHelpers(store);

  describe("applyDecisions", () => {
    it("returns an empty result for no decisions and applies decisions with nothing to write", async () => {
      expect(await store().applyDecisions([])).toEqual({ applied: [], conflicts: [] });
      const timersOnly: Decision = {
        runId: "r1",
        nowMs: T0,
        transitions: [],
        actions: [],
        timers: [{ atMs: T0 + 10, event: { kind: "run_started" } }],
      };
      expect(await store().applyDecisions([timersOnly])).toEqual({ applied: [0], conflicts: [] });
    });

    it("starts and ends a run, guarded by its state", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      let result = await store().applyDecisions([decision("r1", T0 + 10, [], { from: "queued", to: "running" })]);
      expect(result).toEqual({ applied: [0], conflicts: [] });
      expect(await store().getRun("r1")).toMatchObject({ state: "running", startedMs: T0 + 10, endedMs: null });

      result = await store().applyDecisions([decision("r1", T0 + 20, [], { from: "queued", to: "running" })]);
      expect(result.applied).toEqual([]);
      expect(result.conflicts).toEqual([{ index: 0, runId: "r1", what: expect.stringContaining("r1") }]);
      expect((await store().getRun("r1"))?.startedMs).toBe(T0 + 10);

      result = await store().applyDecisions([decision("r1", T0 + 30, [], { from: "running", to: "success" })]);
      expect(result.applied).toEqual([0]);
      expect(await store().getRun("r1")).toMatchObject({ state: "success", startedMs: T0 + 10, endedMs: T0 + 30 });
    });

    it("reports a decision for an unknown run or instance as a conflict", async () => {
      const result = await store().applyDecisions([
        decision("ghost", T0, [], { from: "queued", to: "running" }),
        decision("ghost", T0, [move("a", "pending", "scheduled", 0)]),
      ]);
      expect(result.applied).toEqual([]);
      expect(result.conflicts.map((c) => c.index)).toEqual([0, 1]);
    });

    it("records the lifecycle of tries: queued, running, failed and retried, succeeded with output", async () => {
      await startedRun("r1");
      const apply = async (nowMs: number, ...transitions: Parameters<typeof decision>[2]) => {
        const result = await store().applyDecisions([decision("r1", nowMs, transitions)]);
        expect(result.conflicts).toEqual([]);
      };

      await apply(T0 + 10, move("a", "pending", "scheduled", 0));
      expect(await store().listTries("r1")).toEqual([]);
      await apply(T0 + 20, move("a", "scheduled", "queued", 1));
      expect(await instance("r1", "a")).toMatchObject({ state: "queued", tryNumber: 1, startedMs: null });
      expect(await store().listTries("r1")).toEqual([
        {
          runId: "r1",
          taskId: "a",
          mapIndex: -1,
          tryNumber: 1,
          state: "queued",
          queuedMs: T0 + 20,
          startedMs: null,
          endedMs: null,
          worker: null,
          error: null,
          hasOutput: false,
        },
      ]);

      await apply(T0 + 30, move("a", "queued", "running", 1, { worker: "w1" }));
      expect(await instance("r1", "a")).toMatchObject({ state: "running", tryNumber: 1, startedMs: T0 + 30 });
      expect((await store().listTries("r1", "a", -1))[0]).toMatchObject({ state: "running", startedMs: T0 + 30, worker: "w1" });

      const error = failure("boom");
      await apply(T0 + 40, move("a", "running", "up_for_retry", 1, { error, retryAtMs: T0 + 1000 }));
      expect(await instance("r1", "a")).toMatchObject({ state: "up_for_retry", tryNumber: 1, retryAtMs: T0 + 1000, endedMs: null });
      expect((await store().listTries("r1", "a"))[0]).toMatchObject({ state: "failed", endedMs: T0 + 40, error, hasOutput: false });

      await apply(T0 + 1000, move("a", "up_for_retry", "scheduled", 1));
      expect(await instance("r1", "a")).toMatchObject({ state: "scheduled", tryNumber: 1, retryAtMs: null });
      await apply(T0 + 1010, move("a", "scheduled", "queued", 2));
      await apply(T0 + 1020, move("a", "queued", "running", 2, { worker: "w2" }));
      // The instance's span starts at its first try.
      expect(await instance("r1", "a")).toMatchObject({ state: "running", tryNumber: 2, startedMs: T0 + 30 });
      await apply(T0 + 1030, move("a", "running", "success", 2, { output: '{"rows":3}' }));

      expect(await instance("r1", "a")).toEqual({
        runId: "r1",
        taskId: "a",
        mapIndex: -1,
        state: "success",
        tryNumber: 2,
        retryBase: 0,
        mapShape: null,
        cached: false,
        retryAtMs: null,
        startedMs: T0 + 30,
        endedMs: T0 + 1030,
      });
      const tries = await store().listTries("r1", "a", -1);
      expect(tries.map((t) => [t.tryNumber, t.state, t.worker, t.hasOutput])).toEqual([
        [1, "failed", "w1", false],
        [2, "success", "w2", true],
      ]);
      expect(tries[1]).toMatchObject({ queuedMs: T0 + 1010, startedMs: T0 + 1020, endedMs: T0 + 1030, error: null });
      expect(await store().getOutputs("r1", ["a"])).toEqual(new Map([["a", '{"rows":3}']]));
    });

    it("ends a try that fails, is skipped or is canceled", async () => {
      await startedRun("r1");
      const error = failure("fatal");
      const result = await store().applyDecisions([
        decision("r1", T0 + 10, [
          move("a", "pending", "scheduled", 0),
          move("b", "pending", "scheduled", 0),
          move("c", "pending", "scheduled", 0),
        ]),
        decision("r1", T0 + 20, [move("a", "scheduled", "queued", 1), move("b", "scheduled", "queued", 1), move("c", "scheduled", "queued", 1)]),
        decision("r1", T0 + 30, [move("a", "queued", "running", 1), move("b", "queued", "running", 1)]),
        decision("r1", T0 + 40, [
          move("a", "running", "failed", 1, { error }),
          move("b", "running", "skipped", 1, { reason: "SkipTask" }),
          move("c", "queued", "canceled", 1, { reason: "run canceled" }),
        ]),
      ]);
      expect(result).toEqual({ applied: [0, 1, 2, 3], conflicts: [] });
      const tries = await store().listTries("r1");
      expect(tries.map((t) => [t.taskId, t.state, t.endedMs])).toEqual([
        ["a", "failed", T0 + 40],
        ["b", "skipped", T0 + 40],
        ["c", "canceled", T0 + 40],
      ]);
      expect(tries[0]?.error).toEqual(error);
      const instances = await store().listTaskInstances("r1");
      expect(instances.map((i) => [i.state, i.endedMs])).toEqual([
        ["failed", T0 + 40],
        ["skipped", T0 + 40],
        ["canceled", T0 + 40],
      ]);
      expect(await store().getOutputs("r1", ["a", "b", "c"])).toEqual(new Map());
    });

    it("changes only the instance for transitions no try caused", async () => {
      await startedRun("r1");
      const result = await store().applyDecisions([
        decision("r1", T0 + 10, [
          move("a", "pending", "skipped", 0, { reason: "branch" }),
          move("b", "pending", "upstream_failed", 0),
          move("c", "pending", "canceled", 0),
        ]),
      ]);
      expect(result.conflicts).toEqual([]);
      expect(await store().listTries("r1")).toEqual([]);
      expect((await store().listTaskInstances("r1")).map((i) => [i.taskId, i.state, i.tryNumber, i.endedMs, i.startedMs])).toEqual([
        ["a", "skipped", 0, T0 + 10, null],
        ["b", "upstream_failed", 0, T0 + 10, null],
        ["c", "canceled", 0, T0 + 10, null],
      ]);
    });

    it("reports stale and duplicate transitions as conflicts and changes nothing", async () => {
      await startedRun("r1");
      await store().applyDecisions([
        decision("r1", T0 + 10, [move("a", "pending", "scheduled", 0)]),
        decision("r1", T0 + 20, [move("a", "scheduled", "queued", 1)]),
        decision("r1", T0 + 30, [move("a", "queued", "running", 1, { worker: "w1" })]),
      ]);
      const result = await store().applyDecisions([
        // The same start reported twice (a duplicate message).
        decision("r1", T0 + 40, [move("a", "queued", "running", 1, { worker: "w2" })]),
        // A try number the instance is not at (a late report from an older try).
        decision("r1", T0 + 50, [move("a", "running", "success", 7, { output: "late" })]),
        // A second try while the first runs.
        decision("r1", T0 + 60, [move("a", "scheduled", "queued", 2)]),
        // A wrong from-state.
        decision("r1", T0 + 70, [move("b", "scheduled", "queued", 1)]),
      ]);
      expect(result.applied).toEqual([]);
      expect(result.conflicts.map((c) => [c.index, c.runId])).toEqual([
        [0, "r1"],
        [1, "r1"],
        [2, "r1"],
        [3, "r1"],
      ]);
      for (const c of result.conflicts) expect(c.what).toMatch(/\S/);
      expect(await instance("r1", "a")).toMatchObject({ state: "running", tryNumber: 1 });
      expect(await store().listTries("r1")).toEqual([expect.objectContaining({ tryNumber: 1, state: "running", worker: "w1" })]);
      expect(await instance("r1", "b")).toMatchObject({ state: "pending", tryNumber: 0 });
      expect(await store().getOutputs("r1", ["a"])).toEqual(new Map());
    });

    it("rolls back a decision whose later guard fails, alone, and commits the rest of the batch", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      await store().createRun(newRun({ id: "r2" }), T0);
      const result = await store().applyDecisions([
        decision("r1", T0 + 10, [move("a", "pending", "scheduled", 0)], { from: "queued", to: "running" }),
        // Its run transition and first instance transition hold; the second doesn't: none of it may land.
        decision("r2", T0 + 10, [move("a", "pending", "scheduled", 0), move("b", "running", "success", 1)], {
          from: "queued",
          to: "running",
        }),
        decision("r1", T0 + 20, [move("b", "pending", "scheduled", 0)]),
      ]);
      expect(result.applied).toEqual([0, 2]);
      expect(result.conflicts).toEqual([{ index: 1, runId: "r2", what: expect.stringContaining("b") }]);
      expect(await store().getRun("r2")).toMatchObject({ state: "queued", startedMs: null });
      expect((await store().listTaskInstances("r2")).map((i) => i.state)).toEqual(["pending", "pending", "pending"]);
      expect(await store().getRun("r1")).toMatchObject({ state: "running", startedMs: T0 + 10 });
      expect((await store().listTaskInstances("r1")).map((i) => i.state)).toEqual(["scheduled", "scheduled", "pending"]);
    });

    it("applies a decision's transitions in order, so later ones see earlier ones", async () => {
      await startedRun("r1");
      const result = await store().applyDecisions([
        decision("r1", T0 + 10, [
          move("a", "pending", "scheduled", 0),
          move("a", "scheduled", "queued", 1),
          move("a", "queued", "running", 1),
          move("a", "running", "success", 1, { output: "1" }),
        ]),
      ]);
      expect(result.conflicts).toEqual([]);
      expect(await instance("r1", "a")).toMatchObject({ state: "success", tryNumber: 1 });
    });

    it("lets one of two concurrent batches win a race for the same transition", async () => {
      await startedRun("r1");
      const [first, second] = await Promise.all([
        store().applyDecisions([decision("r1", T0 + 10, [move("a", "pending", "scheduled", 0)])]),
        store().applyDecisions([decision("r1", T0 + 11, [move("a", "pending", "scheduled", 0)])]),
      ]);
      expect(first!.applied.length + second!.applied.length).toBe(1);
      expect(first!.conflicts.length + second!.conflicts.length).toBe(1);
    });

    it("clears ended instances and reopens their run: spans start over, try numbers and tries are kept", async () => {
      await startedRun("r1");
      const apply = async (nowMs: number, transitions: Parameters<typeof decision>[2], run?: Parameters<typeof decision>[3]) => {
        const result = await store().applyDecisions([decision("r1", nowMs, transitions, run)]);
        expect(result.conflicts).toEqual([]);
      };
      await apply(T0 + 10, [move("a", "pending", "scheduled", 0), move("a", "scheduled", "queued", 1), move("a", "queued", "running", 1)]);
      await apply(T0 + 20, [move("a", "running", "failed", 1, { error: failure("boom") }), move("b", "pending", "upstream_failed", 0), move("c", "pending", "upstream_failed", 0)], { from: "running", to: "failed" });
      expect(await store().getRun("r1")).toMatchObject({ state: "failed", startedMs: T0 + 1, endedMs: T0 + 20 });

      // What `weir clear r1 --task a --downstream` commits: back to pending, the root scheduled, the run running.
      const cleared = { reason: "cleared by a user" };
      await apply(
        T0 + 100,
        [move("a", "failed", "pending", 1, cleared), move("b", "upstream_failed", "pending", 0, cleared), move("c", "upstream_failed", "pending", 0, cleared), move("a", "pending", "scheduled", 1)],
        { from: "failed", to: "running" },
      );
      expect(await store().getRun("r1")).toMatchObject({ state: "running", startedMs: T0 + 1, endedMs: null });
      expect((await store().listTaskInstances("r1")).map((i) => [i.taskId, i.state, i.tryNumber, i.startedMs, i.endedMs, i.retryAtMs])).toEqual([
        ["a", "scheduled", 1, null, null, null],
        ["b", "pending", 0, null, null, null],
        ["c", "pending", 0, null, null, null],
      ]);
      // Try 1 is history, untouched; the next try is 2 and the instance's span is its own.
      expect((await store().listTries("r1", "a")).map((t) => [t.tryNumber, t.state, t.endedMs])).toEqual([[1, "failed", T0 + 20]]);
      await apply(T0 + 200, [move("a", "scheduled", "queued", 2), move("a", "queued", "running", 2)]);
      await apply(T0 + 210, [move("a", "running", "success", 2, { output: "2" })]);
      expect(await instance("r1", "a")).toMatchObject({ state: "success", tryNumber: 2, startedMs: T0 + 200, endedMs: T0 + 210 });
      expect((await store().listTries("r1", "a")).map((t) => [t.tryNumber, t.state])).toEqual([
        [1, "failed"],
        [2, "success"],
      ]);
      expect(await store().getOutputs("r1", ["a"])).toEqual(new Map([["a", "2"]]));

      // The same clear again is stale: the guards don't hold, nothing changes.
      const again = await store().applyDecisions([decision("r1", T0 + 300, [move("a", "failed", "pending", 1)], { from: "failed", to: "running" })]);
      expect(again.applied).toEqual([]);
      expect(again.conflicts).toHaveLength(1);
      expect(await instance("r1", "a")).toMatchObject({ state: "success", tryNumber: 2 });

      // Cleared again, a's successful try 2 is history: while it runs again and once it failed, a has no output.
      await apply(T0 + 220, [move("a", "success", "pending", 2, cleared), move("a", "pending", "scheduled", 2), move("a", "scheduled", "queued", 3), move("a", "queued", "running", 3)]);
      expect(await store().getOutputs("r1", ["a"])).toEqual(new Map());
      await apply(T0 + 230, [move("a", "running", "failed", 3, { error: failure("boom") })]);
      expect(await store().getOutputs("r1", ["a"])).toEqual(new Map());
    });

    it("keeps where each instance's retry budget starts (set by a clear, a collapse and an expansion after one) and a product's shape", async () => {
      await startedRun("r1", ["a", "b"]);
      const apply = async (nowMs: number, d: Decision) => {
        const result = await store().applyDecisions([{ ...d, nowMs }]);
        expect(result.conflicts).toEqual([]);
      };
      const bases = async () => (await store().listTaskInstances("r1")).map((i) => [i.taskId, i.mapIndex, i.tryNumber, i.retryBase]);
      // a fails try 1 and waits for its retry; the run is canceled meanwhile, then a user clears a.
      await apply(T0 + 10, decision("r1", 0, [move("a", "pending", "scheduled", 0), move("a", "scheduled", "queued", 1), move("a", "queued", "running", 1)]));
      await apply(T0 + 20, decision("r1", 0, [move("a", "running", "up_for_retry", 1, { error: failure("boom"), retryAtMs: T0 + 1000 })]));
      await apply(T0 + 30, decision("r1", 0, [move("a", "up_for_retry", "canceled", 1), move("b", "pending", "canceled", 0)], { from: "running", to: "canceled" }));
      expect(await bases()).toEqual([["a", -1, 1, 0], ["b", -1, 0, 0]]);
      await apply(T0 + 40, decision("r1", 0, [move("a", "canceled", "pending", 1, { reason: "cleared by a user" })], { from: "canceled", to: "running" }));
      expect(await bases()).toEqual([["a", -1, 1, 1], ["b", -1, 0, 0]]);

      // b, mapped: expanded to 2, collapsed back at try 3, expanded again from there.
      await apply(T0 + 50, decision("r1", 0, [move("b", "canceled", "pending", 0)]));
      await apply(T0 + 60, { ...decision("r1", 0, []), expansions: [{ taskId: "b", count: 2, shape: null, at: 0 }] });
      await apply(T0 + 70, { ...decision("r1", 0, []), collapses: [{ taskId: "b", count: 2, tryNumber: 3, at: 0 }] });
      expect(await bases()).toEqual([["a", -1, 1, 1], ["b", -1, 3, 3]]);
      // A "product" expansion keeps its shape on instance 0: a rebuilt run can't always find it from its sources.
      await apply(T0 + 80, { ...decision("r1", 0, []), expansions: [{ taskId: "b", count: 3, shape: [3, 1], at: 0, tryNumber: 3 }] });
      expect(await bases()).toEqual([["a", -1, 1, 1], ["b", 0, 3, 3], ["b", 1, 3, 3], ["b", 2, 3, 3]]);
      expect((await store().listTaskInstances("r1")).map((i) => i.mapShape)).toEqual([null, [3, 1], null, null]);
    });

    it("writes a decision that only collapses a mapped task also when a conflict in its batch sends it down the one-by-one path", async () => {
      await startedRun("r1", ["a", "b"]);
      const apply = async (d: Decision) => expect((await store().applyDecisions([d])).conflicts).toEqual([]);
      await apply({ ...decision("r1", T0 + 10, []), expansions: [{ taskId: "b", count: 2, shape: null, at: 0 }] });
      const stale = decision("r1", T0 + 20, [move("a", "running", "success", 1)]);
      const collapseOnly: Decision = { ...decision("r1", T0 + 20, []), collapses: [{ taskId: "b", count: 2, tryNumber: 0, at: 0 }] };
      const result = await store().applyDecisions([stale, collapseOnly]);
      expect(result.applied).toEqual([1]);
      expect(result.conflicts.map((c) => c.index)).toEqual([0]);
      expect((await store().listTaskInstances("r1")).map((i) => [i.taskId, i.mapIndex, i.state])).toEqual([["a", -1, "pending"], ["b", -1, "pending"]]);
    });

    it("applies large batches in one call", async () => {
      const taskIds = Array.from({ length: 2000 }, (_, i) => `t${i}`);
      await startedRun("r1", taskIds);
      const decisions = taskIds.map((t) => decision("r1", T0 + 10, [move(t, "pending", "scheduled", 0), move(t, "scheduled", "queued", 1)]));
      const result = await store().applyDecisions(decisions);
      expect(result.applied).toHaveLength(2000);
      expect(result.conflicts).toEqual([]);
      expect(await store().listTries("r1")).toHaveLength(2000);
    });
  });

  describe("run requests carried out by decisions", () => {
    it("records a run request done in the transaction of the decision that carries it out, and only then", async () => {
      await startedRun("r1");
      const cancel = { kind: "run_cancel_requested" as const, reason: "asked" };
      for (const id of ["q1", "q2", "q3"]) await store().submitRunRequest({ id, runId: "r1", event: cancel }, T0);
      const result = await store().applyDecisions([
        { ...decision("r1", T0 + 10, [move("a", "pending", "scheduled", 0)]), requestIds: ["q1"] },
        // Its guard fails: rolled back with it, q2 stays pending for the scheduler to hand over again.
        { ...decision("r1", T0 + 20, [move("b", "running", "success", 1)]), requestIds: ["q2"] },
        // Changes nothing but the request (a cancel of a run that ended meanwhile): still recorded done.
        { ...decision("r1", T0 + 30, []), requestIds: ["q3"] },
      ]);
      expect(result.applied).toEqual([0, 2]);
      expect((await store().getRunRequest("q1"))?.state).toBe("done");
      expect((await store().getRunRequest("q2"))?.state).toBe("pending");
      expect((await store().getRunRequest("q3"))?.state).toBe("done");
      expect((await store().pendingRunRequests(10)).map((r) => r.id)).toEqual(["q2"]);
      // A request finished already is left as it was.
      await store().applyDecisions([{ ...decision("r1", T0 + 40, []), requestIds: ["q1"] }]);
      expect(await store().finishRunRequest("q2", "refused", "run ended", T0 + 50)).toBe(true);
      await store().applyDecisions([{ ...decision("r1", T0 + 60, []), requestIds: ["q2"] }]);
      expect(await store().getRunRequest("q2")).toMatchObject({ state: "refused", message: "run ended" });
    });
  });

  describe("outputs and tries", () => {
    it("returns the outputs of successful unmapped tries of the asked tasks only", async () => {
      await startedRun("r1");
      const finish = (task: string, output: string) => [
        move(task, "pending", "scheduled", 0),
        move(task, "scheduled", "queued", 1),
        move(task, "queued", "running", 1),
        move(task, "running", "success", 1, { output }),
      ];
      await store().applyDecisions([decision("r1", T0 + 10, [...finish("a", '"A"'), ...finish("b", '"B"')])]);
      await startedRun("r2");
      await store().applyDecisions([decision("r2", T0 + 10, finish("a", '"other run"'))]);

      expect(await store().getOutputs("r1", ["a", "b", "c", "unknown"])).toEqual(
        new Map([
          ["a", '"A"'],
          ["b", '"B"'],
        ]),
      );
      expect(await store().getOutputs("r1", ["b"])).toEqual(new Map([["b", '"B"']]));
      expect(await store().getOutputs("r1", [])).toEqual(new Map());
      expect(await store().getOutputs("r2", ["a", "b"])).toEqual(new Map([["a", '"other run"']]));
    });

    it("lists tries of a run ordered by task, map index and try number, filtered by task", async () => {
      await startedRun("r1");
      await store().applyDecisions([
        decision("r1", T0 + 1, [
          move("b", "pending", "scheduled", 0),
          move("b", "scheduled", "queued", 1),
          move("b", "queued", "running", 1),
          move("b", "running", "up_for_retry", 1, { error: failure("x"), retryAtMs: T0 + 5 }),
          move("b", "up_for_retry", "scheduled", 1),
          move("b", "scheduled", "queued", 2),
          move("a", "pending", "scheduled", 0),
          move("a", "scheduled", "queued", 1),
        ]),
      ]);
      expect((await store().listTries("r1")).map((t) => `${t.taskId}#${t.tryNumber}`)).toEqual(["a#1", "b#1", "b#2"]);
      expect((await store().listTries("r1", "b")).map((t) => t.tryNumber)).toEqual([1, 2]);
      expect((await store().listTries("r1", "b", 0)).map((t) => t.tryNumber)).toEqual([]);
      expect(await store().listTries("nope")).toEqual([]);
      expect(await store().listTaskInstances("nope")).toEqual([]);
    });
  });
}
