// Scenarios of the state machine, driven the way the scheduler drives it (advance, then applyDecision),
// plus checks that one event costs work in proportion to the instances it affects.
import { describe, it, expect } from "vitest";
import { advance, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, type TaskSketch } from "./engine-fixtures.test-util.js";
import { jitterSampleFor, retryDelayMs } from "./retry-policy.js";
import { createRunSnapshot } from "./snapshot.js";
import type { TaskState } from "./states.js";
import type { Decision, EngineEvent, InstanceSnapshot, RunSnapshot, TaskFailure } from "./types.js";
import { instanceKey, isEmptyDecision } from "./types.js";

const boom = (retryable = true): TaskFailure => ({ name: "Error", message: "boom", retryable, kind: "error" });

/** Drives one run the way the scheduler does: advance, then apply. */
class Driver {
  readonly snapshot: RunSnapshot;
  nowMs = 1_000;
  constructor(tasks: Record<string, TaskSketch>) {
    this.snapshot = freshSnapshot(engineGraph(tasks));
  }
  send(event: EngineEvent, nowMs = this.nowMs): Decision {
    this.nowMs = nowMs;
    const decision = advance(this.snapshot, event, nowMs);
    applyDecision(this.snapshot, decision);
    return decision;
  }
  start(): Decision {
    return this.send({ kind: "run_started" });
  }
  /** Queues and starts the next try of a scheduled task, returning its try number. */
  dispatch(taskId: string): number {
    const tryNumber = this.instance(taskId).tryNumber + 1;
    expect(this.send({ kind: "try_queued", taskId, mapIndex: -1, tryNumber }).transitions).toHaveLength(1);
    expect(this.send({ kind: "try_started", taskId, mapIndex: -1, tryNumber, worker: "w1" }).transitions).toHaveLength(1);
    return tryNumber;
  }
  succeed(taskId: string): Decision {
    const tryNumber = this.dispatch(taskId);
    return this.send({ kind: "try_succeeded", taskId, mapIndex: -1, tryNumber, output: `"${taskId}"` });
  }
  fail(taskId: string, retryable = true): Decision {
    const tryNumber = this.dispatch(taskId);
    return this.send({ kind: "try_failed", taskId, mapIndex: -1, tryNumber, error: boom(retryable) });
  }
  skip(taskId: string): Decision {
    const tryNumber = this.dispatch(taskId);
    return this.send({ kind: "try_skipped", taskId, mapIndex: -1, tryNumber });
  }
  instance(taskId: string) {
    const instance = this.snapshot.instances.get(instanceKey(taskId, -1));
    if (!instance) throw new Error(`no instance ${taskId}`);
    return instance;
  }
  state(taskId: string): TaskState {
    return this.instance(taskId).state;
  }
  states(): Record<string, TaskState> {
    return Object.fromEntries([...this.snapshot.instances.values()].map((i) => [i.taskId, i.state]));
  }
}

const moves = (decision: Decision) => decision.transitions.map((t) => `${t.taskId}:${t.from}->${t.to}`);

describe("advance: linear chain", () => {
  it("runs a → b → c in order and ends the run in success", () => {
    const run = new Driver({ a: {}, b: { upstream: ["a"] }, c: { upstream: ["b"] } });
    const started = run.start();
    expect(started.run).toEqual({ from: "queued", to: "running" });
    expect(moves(started)).toEqual(["a:pending->scheduled"]);

    const tryNumber = run.dispatch("a");
    expect(tryNumber).toBe(1);
    const aDone = run.send({ kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1, output: "42" });
    expect(moves(aDone)).toEqual(["a:running->success", "b:pending->scheduled"]);
    expect(aDone.transitions[0]?.output).toBe("42");
    expect(aDone.run).toBeUndefined();

    run.succeed("b");
    const last = run.succeed("c");
    expect(last.run).toEqual({ from: "running", to: "success" });
    expect(run.snapshot.state).toBe("success");
    expect(run.snapshot.unfinished).toBe(0);
  });

  it("records the try number on try_queued and the worker on try_started", () => {
    const run = new Driver({ a: {} });
    run.start();
    const queued = run.send({ kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 });
    expect(queued.transitions).toEqual([{ taskId: "a", mapIndex: -1, from: "scheduled", to: "queued", tryNumber: 1 }]);
    const started = run.send({ kind: "try_started", taskId: "a", mapIndex: -1, tryNumber: 1, worker: "host:42" });
    expect(started.transitions[0]).toMatchObject({ from: "queued", to: "running", tryNumber: 1, worker: "host:42" });
  });

  it("accepts a success reported straight from queued", () => {
    const run = new Driver({ a: {} });
    run.start();
    run.send({ kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 });
    const done = run.send({ kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1 });
    expect(moves(done)).toEqual(["a:queued->success"]);
    expect(done.run).toEqual({ from: "running", to: "success" });
  });

  it("ends an empty pipeline at once", () => {
    const run = new Driver({});
    expect(run.start().run).toEqual({ from: "queued", to: "success" });
  });
});

describe("advance: retries", () => {
  const policy = { retries: 2, retryDelayMs: 1_000, backoff: "exponential" as const, maxRetryDelayMs: 60_000 };

  it("fails, waits for the retry time, retries and succeeds", () => {
    const run = new Driver({ a: { retry: policy }, b: { upstream: ["a"] } });
    run.start();
    run.dispatch("a");
    const failed = run.send({ kind: "try_failed", taskId: "a", mapIndex: -1, tryNumber: 1, error: boom() }, 5_000);
    const expectedAt = 5_000 + retryDelayMs(policy, 1, jitterSampleFor("run_1", "a", -1, 1));
    expect(expectedAt).toBeGreaterThanOrEqual(6_000);
    expect(expectedAt).toBeLessThan(7_000);
    expect(failed.transitions).toEqual([
      { taskId: "a", mapIndex: -1, from: "running", to: "up_for_retry", tryNumber: 1, retryAtMs: expectedAt, error: boom() },
    ]);
    expect(failed.timers).toEqual([{ atMs: expectedAt, event: { kind: "retry_due", taskId: "a", mapIndex: -1 } }]);
    expect(run.instance("a").retryAtMs).toBe(expectedAt);

    // A timer that fires early re-arms itself and changes nothing.
    const early = run.send({ kind: "retry_due", taskId: "a", mapIndex: -1 }, expectedAt - 1);
    expect(early.transitions).toEqual([]);
    expect(early.timers).toEqual([{ atMs: expectedAt, event: { kind: "retry_due", taskId: "a", mapIndex: -1 } }]);
    expect(run.state("a")).toBe("up_for_retry");

    const due = run.send({ kind: "retry_due", taskId: "a", mapIndex: -1 }, expectedAt);
    expect(moves(due)).toEqual(["a:up_for_retry->scheduled"]);
    expect(run.instance("a").retryAtMs).toBeNull();

    // The next try is number 2; a stale try_queued for 1 is ignored.
    expect(isEmptyDecision(run.send({ kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 }))).toBe(true);
    expect(run.dispatch("a")).toBe(2);
    const ok = run.send({ kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 2 });
    expect(moves(ok)).toEqual(["a:running->success", "b:pending->scheduled"]);
  });

  it("gives the same retry time when the same failure is decided again (replay)", () => {
    const run = new Driver({ a: { retry: policy } });
    run.start();
    run.dispatch("a");
    const event: EngineEvent = { kind: "try_failed", taskId: "a", mapIndex: -1, tryNumber: 1, error: boom() };
    expect(advance(run.snapshot, event, 9_000)).toEqual(advance(run.snapshot, event, 9_000));
  });

  it("exhausting retries fails the task, its all_success downstream, and the run", () => {
    const run = new Driver({
      a: { retry: { retries: 1 } },
      b: { upstream: ["a"] },
      c: { upstream: ["b"] },
      cleanup: { upstream: ["b"], trigger: "all_done" },
    });
    run.start();
    expect(run.fail("a").transitions[0]?.to).toBe("up_for_retry");
    run.send({ kind: "retry_due", taskId: "a", mapIndex: -1 }, 10_000_000);
    const final = run.fail("a");
    expect(moves(final)).toEqual([
      "a:running->failed",
      "b:pending->upstream_failed",
      "c:pending->upstream_failed",
      "cleanup:pending->scheduled",
    ]);
    expect(final.transitions[0]?.error).toEqual(boom());
    expect(final.transitions[1]?.reason).toMatch(/upstream failed/);
    expect(final.run).toBeUndefined();
    expect(run.snapshot.failed).toBe(3);
    const end = run.succeed("cleanup");
    expect(end.run).toEqual({ from: "running", to: "failed" });
  });

  it("does not retry a non-retryable failure", () => {
    const run = new Driver({ a: { retry: { retries: 3 } } });
    run.start();
    const decision = run.fail("a", false);
    expect(moves(decision)).toEqual(["a:running->failed"]);
    expect(decision.timers).toEqual([]);
    expect(decision.run).toEqual({ from: "running", to: "failed" });
  });
});

describe("advance: skips", () => {
  it("propagates a skip through all_success and stops at none_failed", () => {
    const run = new Driver({
      a: {},
      b: { upstream: ["a"] },
      c: { upstream: ["b"] },
      join: { upstream: ["c"], trigger: "none_failed" },
    });
    run.start();
    const skipped = run.skip("a");
    expect(moves(skipped)).toEqual([
      "a:running->skipped",
      "b:pending->skipped",
      "c:pending->skipped",
      "join:pending->scheduled",
    ]);
    expect(skipped.transitions[0]?.reason).toBe("the task asked to be skipped");
    expect(run.succeed("join").run).toEqual({ from: "running", to: "success" });
  });

  it("a run with only skipped instances succeeds", () => {
    const run = new Driver({ a: {}, b: { upstream: ["a"] } });
    run.start();
    expect(run.skip("a").run).toEqual({ from: "running", to: "success" });
  });
});

describe("advance: every trigger rule", () => {
  // ok succeeds, bad fails, skip is skipped; each rule's task has all three as upstream.
  const rules = [
    ["all_success", "upstream_failed"],
    ["all_failed", "skipped"],
    ["all_done", "scheduled"],
    ["all_skipped", "skipped"],
    ["one_success", "scheduled"],
    ["one_failed", "scheduled"],
    ["one_done", "scheduled"],
    ["none_failed", "upstream_failed"],
    ["none_failed_min_one_success", "upstream_failed"],
    ["none_skipped", "skipped"],
    ["always", "scheduled"],
  ] as const;

  it("each rule reaches its Airflow outcome for upstreams success, failed, skipped", () => {
    const tasks: Record<string, TaskSketch> = { ok: {}, bad: {}, skip: {} };
    for (const [rule] of rules) tasks[rule] = { upstream: ["ok", "bad", "skip"], trigger: rule };
    const run = new Driver(tasks);
    const started = run.start();
    expect(moves(started).sort()).toEqual(["always:pending->scheduled", "bad:pending->scheduled", "ok:pending->scheduled", "skip:pending->scheduled"]);

    // Rules decide as soon as they can: one_success runs, all_failed gives up, before the others are done.
    expect(moves(run.succeed("ok"))).toEqual([
      "ok:running->success",
      "all_failed:pending->skipped",
      "all_skipped:pending->skipped",
      "one_success:pending->scheduled",
      "one_done:pending->scheduled",
    ]);
    expect(moves(run.fail("bad"))).toEqual([
      "bad:running->failed",
      "all_success:pending->upstream_failed",
      "one_failed:pending->scheduled",
      "none_failed:pending->upstream_failed",
      "none_failed_min_one_success:pending->upstream_failed",
    ]);
    run.skip("skip");
    for (const [rule, expected] of rules) expect([rule, run.state(rule)]).toEqual([rule, expected]);
  });

  it("all_skipped and none_failed_min_one_success when every upstream skipped", () => {
    const run = new Driver({
      a: {},
      b: {},
      allSkipped: { upstream: ["a", "b"], trigger: "all_skipped" },
      minOne: { upstream: ["a", "b"], trigger: "none_failed_min_one_success" },
      oneSuccess: { upstream: ["a", "b"], trigger: "one_success" },
      allFailed: { upstream: ["a", "b"], trigger: "all_failed" },
    });
    run.start();
    run.skip("a");
    run.skip("b");
    expect(run.states()).toMatchObject({ allSkipped: "scheduled", minOne: "skipped", oneSuccess: "skipped", allFailed: "skipped" });
  });

  it("one_success with no success and a failure is upstream_failed", () => {
    const run = new Driver({ a: {}, b: {}, c: { upstream: ["a", "b"], trigger: "one_success" } });
    run.start();
    run.skip("a");
    const decision = run.fail("b");
    expect(moves(decision)).toEqual(["b:running->failed", "c:pending->upstream_failed"]);
    expect(decision.run).toEqual({ from: "running", to: "failed" });
  });
});

describe("advance: cancel", () => {
  it("cancels every unfinished instance and stops active tries", () => {
    const run = new Driver({ a: {}, b: {}, c: {}, d: { upstream: ["a"] } });
    run.start();
    run.succeed("c");
    run.dispatch("a");
    run.send({ kind: "try_queued", taskId: "b", mapIndex: -1, tryNumber: 1 });
    const decision = run.send({ kind: "run_cancel_requested", reason: "user said so" });
    expect(decision.run).toEqual({ from: "running", to: "canceled" });
    expect(moves(decision)).toEqual(["a:running->canceled", "b:queued->canceled", "d:pending->canceled"]);
    expect(decision.transitions.every((t) => t.reason === "user said so")).toBe(true);
    expect(decision.actions).toEqual([
      { kind: "cancel_try", taskId: "a", mapIndex: -1, tryNumber: 1, reason: "user said so" },
      { kind: "cancel_try", taskId: "b", mapIndex: -1, tryNumber: 1, reason: "user said so" },
    ]);
    // The worker's late report and a second cancel change nothing.
    expect(isEmptyDecision(run.send({ kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1 }))).toBe(true);
    expect(isEmptyDecision(run.send({ kind: "run_cancel_requested" }))).toBe(true);
    expect(run.snapshot.unfinished).toBe(0);
  });

  it("cancels a queued run", () => {
    const run = new Driver({ a: {} });
    const decision = run.send({ kind: "run_cancel_requested" });
    expect(decision.run).toEqual({ from: "queued", to: "canceled" });
    expect(moves(decision)).toEqual(["a:pending->canceled"]);
    expect(decision.transitions[0]?.reason).toBe("run canceled");
  });
});

describe("advance: stale and unknown events", () => {
  it("ignores events that don't fit the instance's state or try", () => {
    const run = new Driver({ a: {}, b: { upstream: ["a"] } });
    const ignored: EngineEvent[] = [
      { kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 }, // run not started
    ];
    for (const event of ignored) expect(isEmptyDecision(advance(run.snapshot, event, 0))).toBe(true);
    run.start();
    expect(isEmptyDecision(run.start())).toBe(true);
    const stale: EngineEvent[] = [
      { kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 2 },
      { kind: "try_queued", taskId: "b", mapIndex: -1, tryNumber: 1 },
      { kind: "try_started", taskId: "a", mapIndex: -1, tryNumber: 1 },
      { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1 },
      { kind: "try_failed", taskId: "a", mapIndex: -1, tryNumber: 0, error: boom() },
      { kind: "retry_due", taskId: "a", mapIndex: -1 },
      { kind: "try_succeeded", taskId: "nope", mapIndex: -1, tryNumber: 1 },
      { kind: "try_succeeded", taskId: "a", mapIndex: 3, tryNumber: 1 },
    ];
    for (const event of stale) expect([event, isEmptyDecision(advance(run.snapshot, event, 0))]).toEqual([event, true]);
    run.dispatch("a");
    expect(isEmptyDecision(advance(run.snapshot, { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 2 }, 0))).toBe(true);
    const success: EngineEvent = { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1 };
    expect(run.send(success).transitions).toHaveLength(2);
    expect(isEmptyDecision(run.send(success))).toBe(true);
    expect(isEmptyDecision(run.send({ kind: "try_failed", taskId: "a", mapIndex: -1, tryNumber: 1, error: boom() }))).toBe(true);
  });

  it("takes try_dispatched as try_queued then try_started, once", () => {
    const apart = new Driver({ a: {}, b: { upstream: ["a"] } });
    const together = new Driver({ a: {}, b: { upstream: ["a"] } });
    apart.start();
    together.start();
    const queued = apart.send({ kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 });
    const started = apart.send({ kind: "try_started", taskId: "a", mapIndex: -1, tryNumber: 1, worker: "w1" });
    const dispatched: EngineEvent = { kind: "try_dispatched", taskId: "a", mapIndex: -1, tryNumber: 1, worker: "w1" };
    expect(together.send(dispatched).transitions).toEqual([...queued.transitions, ...started.transitions]);
    expect(together.snapshot).toEqual(apart.snapshot);
    // A stale or repeated one changes nothing.
    expect(isEmptyDecision(together.send(dispatched))).toBe(true);
    expect(isEmptyDecision(together.send({ ...dispatched, tryNumber: 3 }))).toBe(true);
  });

  it("never mutates the snapshot", () => {
    const run = new Driver({ a: {}, b: { upstream: ["a"] }, c: { upstream: ["a", "b"], trigger: "one_failed" } });
    run.start();
    run.dispatch("a");
    const before = JSON.stringify([...run.snapshot.instances.entries()]) + JSON.stringify([run.snapshot.state, run.snapshot.unfinished, run.snapshot.failed]);
    advance(run.snapshot, { kind: "try_failed", taskId: "a", mapIndex: -1, tryNumber: 1, error: boom() }, 5);
    advance(run.snapshot, { kind: "run_cancel_requested" }, 5);
    const after = JSON.stringify([...run.snapshot.instances.entries()]) + JSON.stringify([run.snapshot.state, run.snapshot.unfinished, run.snapshot.failed]);
    expect(after).toBe(before);
  });

  it("refuses a decision made for another run", () => {
    const run = new Driver({ a: {} });
    const decision = advance(run.snapshot, { kind: "run_started" }, 0);
    expect(() => applyDecision({ ...run.snapshot, runId: "other" }, decision)).toThrow(/run_1/);
  });
});

describe("advance: cost is proportional to the instances affected", () => {
  const N = 100_000;

  /** Counts lookups so a test can tell O(1) work from a scan of the run. */
  class CountingMap<K, V> extends Map<K, V> {
    lookups = 0;
    override get(key: K): V | undefined {
      this.lookups += 1;
      return super.get(key);
    }
  }

  function measured(snapshot: RunSnapshot): CountingMap<string, InstanceSnapshot> {
    const counting = new CountingMap(snapshot.instances);
    snapshot.instances = counting;
    return counting;
  }

  it("a 100k-long chain failing at its root fails everything in one decision without deep recursion", () => {
    const tasks: Record<string, TaskSketch> = { t0: {} };
    for (let i = 1; i < N; i += 1) tasks[`t${i}`] = { upstream: [`t${i - 1}`] };
    const run = new Driver(tasks);
    run.start();
    const decision = run.fail("t0");
    expect(decision.transitions).toHaveLength(N);
    expect(decision.run).toEqual({ from: "running", to: "failed" });
    expect(run.snapshot.failed).toBe(N);
  });

  it("a leaf of a 100k fan-out touches only itself", () => {
    const tasks: Record<string, TaskSketch> = { root: {} };
    for (let i = 0; i < N; i += 1) tasks[`leaf${i}`] = { upstream: ["root"] };
    const run = new Driver(tasks);
    run.start();
    expect(run.succeed("root").transitions).toHaveLength(N + 1);
    const lookups = measured(run.snapshot);
    run.succeed("leaf500");
    expect(lookups.lookups).toBeLessThan(50);
  });

  it("a join of 100k upstreams is updated in O(1) per upstream event", () => {
    const tasks: Record<string, TaskSketch> = {};
    for (let i = 0; i < N; i += 1) tasks[`up${i}`] = {};
    tasks.join = { upstream: Object.keys(tasks) };
    const run = new Driver(tasks);
    run.start();
    const lookups = measured(run.snapshot);
    run.succeed("up7");
    expect(lookups.lookups).toBeLessThan(50);
    expect(run.instance("join").counts).toMatchObject({ success: 1, total: N });
    // The recount agrees with the incremental count.
    const recount = createRunSnapshot("run_1", run.snapshot.state, run.snapshot.graph, [...run.snapshot.instances.values()]);
    expect(recount.instances.get("join")?.counts).toEqual(run.instance("join").counts);
  });
});
