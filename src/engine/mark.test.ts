// Marking (`instance_marked`, the engine side of the API's "mark success/failed"): a try in flight is
// stopped and ends in the marked state, pending downstream moves on, an ended run is judged again.
import { describe, expect, it } from "vitest";
import { advance, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, type TaskSketch } from "./engine-fixtures.test-util.js";
import { createRunSnapshot } from "./snapshot.js";
import { instanceKey, isEmptyDecision, type Decision, type EngineEvent, type RunSnapshot } from "./types.js";

const boom = { name: "Error", message: "boom", retryable: false, kind: "error" as const };
const moves = (decision: Decision) => decision.transitions.map((t) => `${t.taskId}:${t.from}->${t.to}`);
const mark = (taskId: string, state: "success" | "failed"): EngineEvent => ({ kind: "instance_marked", taskId, mapIndex: -1, state });
const CHAIN = { a: {}, b: { upstream: ["a"] }, c: { upstream: ["b"] } } satisfies Record<string, TaskSketch>;

function run(tasks: Record<string, TaskSketch>): { snapshot: RunSnapshot; send(event: EngineEvent): Decision; start(taskId: string): number } {
  const snapshot = freshSnapshot(engineGraph(tasks));
  let nowMs = 1000;
  const send = (event: EngineEvent): Decision => {
    const decision = advance(snapshot, event, (nowMs += 10));
    applyDecision(snapshot, decision);
    const fresh = createRunSnapshot(snapshot.runId, snapshot.state, snapshot.graph, [...snapshot.instances.values()]);
    expect([snapshot.unfinished, snapshot.failed]).toEqual([fresh.unfinished, fresh.failed]);
    return decision;
  };
  send({ kind: "run_started" });
  const start = (taskId: string): number => {
    const tryNumber = (snapshot.instances.get(instanceKey(taskId, -1))?.tryNumber ?? 0) + 1;
    send({ kind: "try_queued", taskId, mapIndex: -1, tryNumber });
    send({ kind: "try_started", taskId, mapIndex: -1, tryNumber });
    return tryNumber;
  };
  return { snapshot, send, start };
}

describe("advance: instance_marked", () => {
  it("stops a running try and ends it in the marked state; downstream moves on", () => {
    const r = run(CHAIN);
    r.start("a");
    const decision = r.send(mark("a", "success"));
    expect(moves(decision)).toEqual(["a:running->success", "b:pending->scheduled"]);
    expect(decision.actions).toEqual([expect.objectContaining({ kind: "cancel_try", taskId: "a", tryNumber: 1 })]);
  });

  it("marks a pending instance failed: its downstream becomes upstream_failed and the run fails", () => {
    const r = run(CHAIN);
    const decision = r.send(mark("a", "failed"));
    expect(moves(decision)).toEqual(["a:scheduled->failed", "b:pending->upstream_failed", "c:pending->upstream_failed"]);
    expect(decision.transitions[0]?.error).toMatchObject({ name: "MarkedFailedError", retryable: false });
    expect(decision.run).toEqual({ from: "running", to: "failed" });
  });

  it("judges an ended run again: failed → success when nothing failed is left", () => {
    const r = run({ a: {}, b: { upstream: ["a"], trigger: "all_done" } });
    const tryNumber = r.start("a");
    r.send({ kind: "try_failed", taskId: "a", mapIndex: -1, tryNumber, error: boom });
    r.send({ kind: "try_succeeded", taskId: "b", mapIndex: -1, tryNumber: r.start("b") });
    expect(r.snapshot.state).toBe("failed");
    const decision = r.send(mark("a", "success"));
    expect(moves(decision)).toEqual(["a:failed->success"]);
    expect(decision.run).toEqual({ from: "failed", to: "success" });
  });

  it("ignores the same state, unknown tasks and a queued run", () => {
    const r = run(CHAIN);
    r.send({ kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: r.start("a") });
    expect(isEmptyDecision(advance(r.snapshot, mark("a", "success"), 5000))).toBe(true);
    expect(isEmptyDecision(advance(r.snapshot, mark("nope", "failed"), 5000))).toBe(true);
    const queued = freshSnapshot(engineGraph(CHAIN));
    expect(isEmptyDecision(advance(queued, mark("a", "failed"), 5000))).toBe(true);
  });
});
