// Clearing (`instances_cleared`, the engine side of `weir clear`): cleared instances go back to pending with
// their try number kept, counts follow, trigger rules decide again, and an ended run runs again.
import { describe, expect, it } from "vitest";
import { advance, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, type TaskSketch } from "./engine-fixtures.test-util.js";
import { createRunSnapshot } from "./snapshot.js";
import type { TaskState } from "./states.js";
import { instanceKey, isEmptyDecision, type Decision, type EngineEvent, type InstanceSnapshot, type RunSnapshot } from "./types.js";

const boom = { name: "Error", message: "boom", retryable: true, kind: "error" as const };
const moves = (decision: Decision) => decision.transitions.map((t) => `${t.taskId}:${t.from}->${t.to}`);
const keys = (...taskIds: string[]) => taskIds.map((taskId) => ({ taskId, mapIndex: -1 }));
const clear = (...taskIds: string[]): EngineEvent => ({ kind: "instances_cleared", keys: keys(...taskIds) });

class Run {
  readonly snapshot: RunSnapshot;
  nowMs = 1_000;
  constructor(tasks: Record<string, TaskSketch>) {
    this.snapshot = freshSnapshot(engineGraph(tasks));
    this.send({ kind: "run_started" });
  }
  send(event: EngineEvent): Decision {
    this.nowMs += 10;
    const decision = advance(this.snapshot, event, this.nowMs);
    applyDecision(this.snapshot, decision);
    expectRecount(this.snapshot);
    return decision;
  }
  private tryOf(taskId: string): number {
    const tryNumber = this.instance(taskId).tryNumber + 1;
    this.send({ kind: "try_queued", taskId, mapIndex: -1, tryNumber });
    this.send({ kind: "try_started", taskId, mapIndex: -1, tryNumber });
    return tryNumber;
  }
  succeed(taskId: string): Decision {
    return this.send({ kind: "try_succeeded", taskId, mapIndex: -1, tryNumber: this.tryOf(taskId) });
  }
  fail(taskId: string): Decision {
    return this.send({ kind: "try_failed", taskId, mapIndex: -1, tryNumber: this.tryOf(taskId), error: boom });
  }
  instance(taskId: string) {
    const instance = this.snapshot.instances.get(instanceKey(taskId, -1));
    if (!instance) throw new Error(`no instance ${taskId}`);
    return instance;
  }
  states(): Record<string, TaskState> {
    return Object.fromEntries([...this.snapshot.instances.values()].map((i) => [i.taskId, i.state]));
  }
}

function expectRecount(snapshot: RunSnapshot): void {
  const fresh = createRunSnapshot(snapshot.runId, snapshot.state, snapshot.graph, [...snapshot.instances.values()]);
  expect(snapshot.unfinished).toBe(fresh.unfinished);
  expect(snapshot.failed).toBe(fresh.failed);
  for (const [key, instance] of snapshot.instances) expect(instance.counts).toEqual(fresh.instances.get(key)?.counts);
}

const CHAIN = { a: {}, b: { upstream: ["a"] }, c: { upstream: ["b"] } } satisfies Record<string, TaskSketch>;

describe("advance: instances_cleared", () => {
  it("clears a failed task and its downstream: back to pending, the root scheduled, the run running again", () => {
    const run = new Run(CHAIN);
    run.fail("a");
    expect(run.snapshot.state).toBe("failed");
    expect(run.states()).toEqual({ a: "failed", b: "upstream_failed", c: "upstream_failed" });

    const decision = run.send(clear("a", "b", "c"));
    expect(moves(decision)).toEqual(["a:failed->pending", "b:upstream_failed->pending", "c:upstream_failed->pending", "a:pending->scheduled"]);
    expect(decision.run).toEqual({ from: "failed", to: "running" });
    expect(decision.transitions.slice(0, 3).every((t) => t.reason === "cleared by a user")).toBe(true);
    // The try number is kept: the next try is a new one, and try 1 stays history.
    expect(decision.transitions[0]?.tryNumber).toBe(1);
    expect(decision.actions).toEqual([]);
    expect(decision.timers).toEqual([]);
    expect(run.snapshot).toMatchObject({ state: "running", unfinished: 3, failed: 0 });
    expect(run.instance("a")).toMatchObject({ state: "scheduled", tryNumber: 1, retryAtMs: null });

    // The stale try 1 can't be queued again; try 2 can, and the run goes on to success.
    expect(isEmptyDecision(advance(run.snapshot, { kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 }, run.nowMs))).toBe(true);
    run.succeed("a");
    expect(run.instance("a").tryNumber).toBe(2);
    run.succeed("b");
    expect(run.succeed("c").run).toEqual({ from: "running", to: "success" });
  });

  it("clears only what is listed: a downstream left upstream_failed keeps the run failed", () => {
    const run = new Run(CHAIN);
    run.fail("a");
    expect(moves(run.send(clear("a")))).toEqual(["a:failed->pending", "a:pending->scheduled"]);
    expect(run.snapshot).toMatchObject({ state: "running", unfinished: 1, failed: 2 });
    expect(run.succeed("a").run).toEqual({ from: "running", to: "failed" });
    expect(run.states()).toEqual({ a: "success", b: "upstream_failed", c: "upstream_failed" });
  });

  it("does not depend on the order of the keys: a cleared downstream waits for its cleared upstream", () => {
    const run = new Run(CHAIN);
    run.fail("a");
    const decision = run.send(clear("c", "b", "a"));
    expect(moves(decision)).toEqual(["c:upstream_failed->pending", "b:upstream_failed->pending", "a:failed->pending", "a:pending->scheduled"]);
    expect(run.states()).toEqual({ a: "scheduled", b: "pending", c: "pending" });
  });

  it("re-decides a cleared instance at once when its upstream still failed (the run stays failed)", () => {
    const run = new Run(CHAIN);
    run.fail("a");
    const decision = run.send(clear("b"));
    expect(moves(decision)).toEqual(["b:upstream_failed->pending", "b:pending->upstream_failed"]);
    expect(decision.run).toBeUndefined();
    expect(run.snapshot).toMatchObject({ state: "failed", unfinished: 0, failed: 3 });
  });

  it("clears a task of a successful run; its downstream not cleared stays success", () => {
    const run = new Run(CHAIN);
    run.succeed("a");
    run.succeed("b");
    run.succeed("c");
    const decision = run.send(clear("b"));
    expect(moves(decision)).toEqual(["b:success->pending", "b:pending->scheduled"]);
    expect(decision.run).toEqual({ from: "success", to: "running" });
    expect(run.instance("c").counts).toMatchObject({ success: 0, total: 1 });
    expect(run.succeed("b").run).toEqual({ from: "running", to: "success" });
    expect(run.states()).toEqual({ a: "success", b: "success", c: "success" });
  });

  it("reopens a canceled run, and clears skipped instances", () => {
    const run = new Run({ a: {}, b: { upstream: ["a"] }, skip: {} });
    run.send({ kind: "try_queued", taskId: "skip", mapIndex: -1, tryNumber: 1 });
    run.send({ kind: "try_skipped", taskId: "skip", mapIndex: -1, tryNumber: 1 });
    run.send({ kind: "run_cancel_requested" });
    expect(run.states()).toEqual({ a: "canceled", b: "canceled", skip: "skipped" });
    const decision = run.send(clear("a", "b", "skip"));
    expect(decision.run).toEqual({ from: "canceled", to: "running" });
    expect(run.states()).toEqual({ a: "scheduled", b: "pending", skip: "scheduled" });
  });

  it("re-evaluates cleared downstream by their own trigger rule", () => {
    const run = new Run({ a: {}, cleanup: { upstream: ["a"], trigger: "all_done" }, alert: { upstream: ["a"], trigger: "one_failed" } });
    run.fail("a");
    run.succeed("cleanup");
    run.succeed("alert");
    expect(run.snapshot.state).toBe("failed");
    run.send(clear("a", "cleanup", "alert"));
    expect(run.states()).toEqual({ a: "scheduled", cleanup: "pending", alert: "pending" });
    // a succeeds this time: cleanup runs (all_done) and alert is skipped (one_failed: none failed).
    const decision = run.succeed("a");
    expect(moves(decision)).toEqual(["a:running->success", "cleanup:pending->scheduled", "alert:pending->skipped"]);
    expect(run.succeed("cleanup").run).toEqual({ from: "running", to: "success" });
  });

  it("leaves instances that have not ended alone, and gives an empty decision when nothing was cleared", () => {
    const run = new Run({ a: {}, b: {}, c: { upstream: ["a"] }, r: { retry: { retries: 1 } } });
    run.send({ kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 });
    run.send({ kind: "try_started", taskId: "a", mapIndex: -1, tryNumber: 1 });
    run.fail("r");
    expect(run.states()).toEqual({ a: "running", b: "scheduled", c: "pending", r: "up_for_retry" });
    for (const event of [clear("a"), clear("b", "c", "r"), clear("nope"), { kind: "instances_cleared", keys: [{ taskId: "a", mapIndex: 3 }] } as EngineEvent, clear()]) {
      expect([event, isEmptyDecision(advance(run.snapshot, event, run.nowMs))]).toEqual([event, true]);
    }
    // In a mixed list only the ended ones move.
    run.succeed("b");
    expect(moves(run.send(clear("a", "b", "c")))).toEqual(["b:success->pending", "b:pending->scheduled"]);
  });

  it("applying the same clear twice equals applying it once; listing an instance twice clears it once", () => {
    const run = new Run(CHAIN);
    run.fail("a");
    const first = run.send(clear("a", "a", "b", "c", "b"));
    expect(moves(first)).toEqual(["a:failed->pending", "b:upstream_failed->pending", "c:upstream_failed->pending", "a:pending->scheduled"]);
    expect(isEmptyDecision(run.send(clear("a", "b", "c")))).toBe(true);
  });

  it("does nothing in a queued run, and leaves removed instances alone", () => {
    const graph = engineGraph(CHAIN);
    expect(isEmptyDecision(advance(freshSnapshot(graph), clear("a", "b", "c"), 0))).toBe(true);
    const snapshot = createRunSnapshot("r", "success", graph, [
      { taskId: "a", mapIndex: -1, state: "success", tryNumber: 1, retryAtMs: null },
      { taskId: "b", mapIndex: -1, state: "removed", tryNumber: 0, retryAtMs: null },
      { taskId: "c", mapIndex: -1, state: "success", tryNumber: 1, retryAtMs: null },
    ]);
    expect(isEmptyDecision(advance(snapshot, clear("b"), 0))).toBe(true);
  });

  it("resets the retry budget: a cleared task that used its retries gets all of them again, tries numbered on", () => {
    const run = new Run({ a: { retry: { retries: 1, retryDelayMs: 10 } } });
    run.fail("a");
    run.nowMs += 1_000;
    run.send({ kind: "retry_due", taskId: "a", mapIndex: -1 });
    run.fail("a");
    expect(run.instance("a")).toMatchObject({ state: "failed", tryNumber: 2 });
    run.send(clear("a"));
    expect(run.instance("a")).toMatchObject({ retryBase: 2, lostTries: 0 });
    const first = run.fail("a");
    expect(moves(first)).toEqual(["a:running->up_for_retry"]);
    expect(first.transitions[0]?.tryNumber).toBe(3);
    // The backoff starts over too: the first retry after the clear waits the base delay.
    expect(first.transitions[0]?.retryAtMs).toBe(run.nowMs + 10);
    run.nowMs += 1_000;
    run.send({ kind: "retry_due", taskId: "a", mapIndex: -1 });
    const second = run.fail("a");
    expect(moves(second)).toEqual(["a:running->failed"]);
    expect(second.transitions[0]?.tryNumber).toBe(4);
  });

  it("uses a given reason", () => {
    const run = new Run({ a: {} });
    run.succeed("a");
    const decision = run.send({ kind: "instances_cleared", keys: keys("a"), reason: "cleared by alice" });
    expect(decision.transitions[0]?.reason).toBe("cleared by alice");
  });

  it("costs O(cleared instances + their out-degree), not a scan of the run", () => {
    const N = 100_000;
    const tasks: Record<string, TaskSketch> = { root: {}, mid: { upstream: ["root"] } };
    for (let i = 0; i < N; i += 1) tasks[`leaf${i}`] = { upstream: ["root"] };
    const graph = engineGraph(tasks);
    const rows = graph.order.map((taskId) => ({ taskId, mapIndex: -1, state: "success" as const, tryNumber: 1, retryAtMs: null }));
    const snapshot = createRunSnapshot("r", "success", graph, rows);
    let lookups = 0;
    const counting = new (class extends Map<string, InstanceSnapshot> {
      override get(key: string): InstanceSnapshot | undefined {
        lookups += 1;
        return super.get(key);
      }
    })(snapshot.instances);
    snapshot.instances = counting;
    const decision = advance(snapshot, clear("mid"), 0);
    expect(moves(decision)).toEqual(["mid:success->pending", "mid:pending->scheduled"]);
    expect(decision.run).toEqual({ from: "success", to: "running" });
    expect(lookups).toBeLessThan(50);
  });
});
