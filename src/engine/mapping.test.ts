// Mapped tasks (expansion at run time, empty arrays, nested and zipped/crossed mapping) and branches in the
// pure engine: unit cases, then properties over random DAGs with mapped tasks and random array lengths.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { advance, advanceAll, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, mappedDagArb, randomEvent, type TaskSketch } from "./engine-fixtures.test-util.js";
import { createRunSnapshot } from "./snapshot.js";
import { isTerminalRunState, isTerminalTaskState } from "./states.js";
import type { Decision, EngineEvent, RunSnapshot } from "./types.js";

/** Advances, applies, and checks the snapshot against a recount from scratch (the store's view after a restart). */
function send(snapshot: RunSnapshot, event: EngineEvent, nowMs = 0): Decision {
  const decision = advance(snapshot, event, nowMs);
  applyDecision(snapshot, decision);
  const fresh = createRunSnapshot(snapshot.runId, snapshot.state, snapshot.graph, [...snapshot.instances.values()], snapshot.mapLengths);
  expect(snapshot.unfinished).toBe(fresh.unfinished);
  expect(snapshot.failed).toBe(fresh.failed);
  expect([...snapshot.instances.keys()].sort()).toEqual([...fresh.instances.keys()].sort());
  for (const [key, instance] of snapshot.instances) expect({ key, counts: instance.counts }).toEqual({ key, counts: fresh.instances.get(key)?.counts });
  expect(new Map(snapshot.expansions)).toEqual(new Map(fresh.expansions));
  return decision;
}

/** Runs one try of an instance to success (queued, started, succeeded). */
function succeed(snapshot: RunSnapshot, taskId: string, mapIndex = -1, extra: { mapLength?: number | null; follow?: string[] } = {}): Decision {
  const tryNumber = (snapshot.instances.get(mapIndex < 0 ? taskId : `${taskId}[${mapIndex}]`)?.tryNumber ?? 0) + 1;
  send(snapshot, { kind: "try_queued", taskId, mapIndex, tryNumber });
  send(snapshot, { kind: "try_started", taskId, mapIndex, tryNumber });
  return send(snapshot, { kind: "try_succeeded", taskId, mapIndex, tryNumber, output: "x", ...extra });
}

function started(tasks: Record<string, TaskSketch>): RunSnapshot {
  const snapshot = freshSnapshot(engineGraph(tasks));
  send(snapshot, { kind: "run_started" });
  return snapshot;
}

const stateOf = (snapshot: RunSnapshot, key: string): string | undefined => snapshot.instances.get(key)?.state;

describe("mapped tasks", () => {
  const fanOut: Record<string, TaskSketch> = { items: {}, double: { map: { sources: ["items"] } }, reduce: { upstream: ["double"] } };

  it("expand when their array is known: one pending instance per element, in one small decision record", () => {
    const snapshot = started(fanOut);
    expect(stateOf(snapshot, "double")).toBe("pending");
    const decision = succeed(snapshot, "items", -1, { mapLength: 3 });
    expect(decision.expansions).toEqual([{ taskId: "double", count: 3, shape: null, at: 1 }]);
    expect(decision.transitions.map((t) => `${t.taskId}[${t.mapIndex}] ${t.from}→${t.to}`)).toEqual([
      "items[-1] running→success",
      "double[0] pending→scheduled",
      "double[1] pending→scheduled",
      "double[2] pending→scheduled",
    ]);
    expect(snapshot.instances.has("double")).toBe(false);
    expect(snapshot.instances.get("reduce")?.counts.total).toBe(3);
    succeed(snapshot, "double", 0);
    succeed(snapshot, "double", 2);
    expect(stateOf(snapshot, "reduce")).toBe("pending");
    succeed(snapshot, "double", 1);
    expect(stateOf(snapshot, "reduce")).toBe("scheduled");
    succeed(snapshot, "reduce");
    expect(snapshot.state).toBe("success");
  });

  it("each instance has its own tries and retries", () => {
    const snapshot = started({ items: {}, double: { map: { sources: ["items"] }, retry: { retries: 1 } } });
    succeed(snapshot, "items", -1, { mapLength: 2 });
    send(snapshot, { kind: "try_queued", taskId: "double", mapIndex: 1, tryNumber: 1 });
    send(snapshot, { kind: "try_started", taskId: "double", mapIndex: 1, tryNumber: 1 });
    send(snapshot, { kind: "try_failed", taskId: "double", mapIndex: 1, tryNumber: 1, error: { name: "Error", message: "boom", retryable: true, kind: "error" } }, 10);
    expect(stateOf(snapshot, "double[1]")).toBe("up_for_retry");
    expect(stateOf(snapshot, "double[0]")).toBe("scheduled");
  });

  it("over an empty array: skipped, and downstream follows its trigger rule", () => {
    const strict = started(fanOut);
    const decision = succeed(strict, "items", -1, { mapLength: 0 });
    expect(decision.expansions).toBeUndefined();
    expect(decision.transitions.find((t) => t.taskId === "double")).toMatchObject({ mapIndex: -1, to: "skipped", reason: "mapped over an empty array (items)" });
    expect(stateOf(strict, "reduce")).toBe("skipped");
    expect(strict.state).toBe("success");

    const lenient = started({ ...fanOut, reduce: { upstream: ["double"], trigger: "none_failed" } });
    succeed(lenient, "items", -1, { mapLength: 0 });
    expect(stateOf(lenient, "reduce")).toBe("scheduled");
  });

  it("over something that is not an array: the mapped task fails without running, downstream is upstream_failed", () => {
    const snapshot = started(fanOut);
    const decision = succeed(snapshot, "items", -1, { mapLength: null });
    expect(decision.transitions.find((t) => t.taskId === "double")).toMatchObject({ to: "failed", error: { name: "MapExpansionError", retryable: false } });
    expect(stateOf(snapshot, "reduce")).toBe("upstream_failed");
    expect(snapshot.state).toBe("failed");
  });

  it("over a mapped task: both expand at once, and instance i waits only for instance i", () => {
    const snapshot = started({ items: {}, a: { map: { sources: ["items"] } }, b: { map: { sources: ["a"] } }, c: { map: { sources: ["b"] } }, r: { upstream: ["c"] } });
    const decision = succeed(snapshot, "items", -1, { mapLength: 3 });
    expect(decision.expansions?.map((e) => [e.taskId, e.count])).toEqual([["a", 3], ["b", 3], ["c", 3]]);
    expect(snapshot.instances.get("b[1]")?.counts.total).toBe(1);
    succeed(snapshot, "a", 1);
    expect([stateOf(snapshot, "b[0]"), stateOf(snapshot, "b[1]"), stateOf(snapshot, "b[2]")]).toEqual(["pending", "scheduled", "pending"]);
    succeed(snapshot, "b", 1);
    expect(stateOf(snapshot, "c[1]")).toBe("scheduled");
    // A failed element fails only its own chain.
    send(snapshot, { kind: "try_queued", taskId: "a", mapIndex: 0, tryNumber: 1 });
    send(snapshot, { kind: "try_started", taskId: "a", mapIndex: 0, tryNumber: 1 });
    send(snapshot, { kind: "try_failed", taskId: "a", mapIndex: 0, tryNumber: 1, error: { name: "E", message: "m", retryable: false, kind: "error" } });
    expect([stateOf(snapshot, "b[0]"), stateOf(snapshot, "c[0]"), stateOf(snapshot, "c[2]")]).toEqual(["upstream_failed", "upstream_failed", "pending"]);
    expect(stateOf(snapshot, "r")).toBe("upstream_failed");
  });

  it("zips arrays of the same length, fails on different lengths, and crosses them with product", () => {
    const zipped = started({ a: {}, b: {}, z: { map: { sources: ["a", "b"] } } });
    succeed(zipped, "a", -1, { mapLength: 2 });
    expect(stateOf(zipped, "z")).toBe("pending");
    expect(succeed(zipped, "b", -1, { mapLength: 2 }).expansions?.[0]?.count).toBe(2);

    const uneven = started({ a: {}, b: {}, z: { map: { sources: ["a", "b"] } } });
    succeed(uneven, "a", -1, { mapLength: 2 });
    const decision = succeed(uneven, "b", -1, { mapLength: 3 });
    expect(decision.transitions.find((t) => t.taskId === "z")?.reason).toBe('task z zips arrays of different lengths (a has 2, b has 3); use mapMode "product" for every combination');

    const crossed = started({ items: {}, m: { map: { sources: ["items"] } }, x: {}, p: { map: { sources: ["m", "x"], mode: "product" } } });
    succeed(crossed, "x", -1, { mapLength: 3 });
    const expanded = succeed(crossed, "items", -1, { mapLength: 2 });
    expect(expanded.expansions?.map((e) => [e.taskId, e.count, e.shape])).toEqual([["m", 2, null], ["p", 6, [2, 3]]]);
    succeed(crossed, "m", 1);
    // m[1] is coordinate 1 of the product: instances 3, 4, 5.
    expect([0, 1, 2, 3, 4, 5].map((i) => stateOf(crossed, `p[${i}]`))).toEqual(["pending", "pending", "pending", "scheduled", "scheduled", "scheduled"]);
  });

  it("a mapped task whose source failed is upstream_failed, or skipped when its rule lets it run", () => {
    const failed = (trigger: TaskSketch["trigger"]): RunSnapshot => {
      const snapshot = started({ items: {}, m: { map: { sources: ["items"] }, trigger } });
      send(snapshot, { kind: "try_queued", taskId: "items", mapIndex: -1, tryNumber: 1 });
      send(snapshot, { kind: "try_started", taskId: "items", mapIndex: -1, tryNumber: 1 });
      send(snapshot, { kind: "try_failed", taskId: "items", mapIndex: -1, tryNumber: 1, error: { name: "E", message: "m", retryable: false, kind: "error" } });
      return snapshot;
    };
    expect(stateOf(failed("all_success"), "m")).toBe("upstream_failed");
    expect(stateOf(failed("all_done"), "m")).toBe("skipped");
  });

  it("a cancel reaches instances created earlier in the same decision", () => {
    const snapshot = started(fanOut);
    send(snapshot, { kind: "try_queued", taskId: "items", mapIndex: -1, tryNumber: 1 });
    send(snapshot, { kind: "try_started", taskId: "items", mapIndex: -1, tryNumber: 1 });
    const decision = advanceAll(snapshot, [{ kind: "try_succeeded", taskId: "items", mapIndex: -1, tryNumber: 1, mapLength: 2 }, { kind: "run_cancel_requested" }], 0);
    applyDecision(snapshot, decision);
    expect(decision.expansions?.map((e) => e.at)).toEqual([1]);
    expect([stateOf(snapshot, "double[0]"), stateOf(snapshot, "double[1]"), snapshot.state]).toEqual(["canceled", "canceled", "canceled"]);
    expect(snapshot.unfinished).toBe(0);
  });
});

describe("branches", () => {
  const graph: Record<string, TaskSketch> = {
    pick: { branch: "choose" },
    ship: { upstream: ["pick"] },
    hold: { upstream: ["pick"] },
    after_hold: { upstream: ["hold"] },
    join: { upstream: ["ship", "after_hold"], trigger: "none_failed_min_one_success" },
  };

  it("skip the direct downstream not chosen; the skip propagates and a none_failed_min_one_success join runs", () => {
    const snapshot = started(graph);
    const decision = succeed(snapshot, "pick", -1, { follow: ["ship"] });
    expect(decision.transitions.find((t) => t.taskId === "hold")).toMatchObject({ to: "skipped", reason: "branch pick followed ship" });
    expect([stateOf(snapshot, "ship"), stateOf(snapshot, "after_hold"), stateOf(snapshot, "join")]).toEqual(["scheduled", "skipped", "pending"]);
    succeed(snapshot, "ship");
    expect(stateOf(snapshot, "join")).toBe("scheduled");
  });

  it("following none skips every direct downstream", () => {
    const snapshot = started(graph);
    succeed(snapshot, "pick", -1, { follow: [] });
    expect([stateOf(snapshot, "ship"), stateOf(snapshot, "hold"), stateOf(snapshot, "join")]).toEqual(["skipped", "skipped", "skipped"]);
    expect(snapshot.state).toBe("success");
  });

  it("a short-circuit returning false skips everything downstream whatever the trigger rules; true changes nothing", () => {
    const tasks: Record<string, TaskSketch> = { gate: { branch: "short_circuit" }, a: { upstream: ["gate"] }, b: { upstream: ["a"], trigger: "all_done" }, other: {} };
    const off = started(tasks);
    succeed(off, "gate", -1, { follow: [] });
    expect([stateOf(off, "a"), stateOf(off, "b"), stateOf(off, "other")]).toEqual(["skipped", "skipped", "scheduled"]);
    const on = started(tasks);
    succeed(on, "gate", -1, { follow: ["a"] });
    expect(stateOf(on, "a")).toBe("scheduled");
  });
});

const dagArb = mappedDagArb(8);

describe("mapped tasks: properties", () => {
  it("every DAG with mapped tasks, whatever the array lengths, runs to its end, the bookkeeping always equal to a recount", () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat({ max: 1_000 }), { minLength: 10, maxLength: 200 }), (tasks, choices) => {
        const snapshot = freshSnapshot(engineGraph(tasks));
        send(snapshot, { kind: "run_started" });
        let step = 0;
        const choose = (): number => choices[step++ % choices.length] ?? 0;
        let nowMs = 0;
        for (let round = 0; round < 2_000 && !isTerminalRunState(snapshot.state); round++) {
          nowMs += 10;
          const step = randomEvent(snapshot, choose, nowMs, (ref, pick) =>
            pick % 5 === 0
              ? { kind: "try_failed", ...ref, error: { name: "E", message: "m", retryable: true, kind: "error" } }
              : pick % 11 === 0
                ? { kind: "try_skipped", ...ref }
                : { kind: "try_succeeded", ...ref, mapLength: pick % 13 === 0 ? null : pick % 4 },
          );
          const { event, pick } = step;
          nowMs = step.nowMs;
          send(snapshot, event, nowMs);
          // Delivered twice, an event changes nothing the second time.
          if (pick % 3 === 0) expect(advance(snapshot, event, nowMs).transitions).toEqual([]);
        }
        expect(isTerminalRunState(snapshot.state)).toBe(true);
        const states = [...snapshot.instances.values()].map((i) => i.state);
        expect(states.every(isTerminalTaskState)).toBe(true);
        expect(snapshot.state).toBe(states.some((s) => s === "failed" || s === "upstream_failed") ? "failed" : "success");
        // No placeholder is left next to the instances it was expanded into.
        for (const [taskId, expansion] of snapshot.expansions) {
          expect(snapshot.instances.has(taskId)).toBe(false);
          for (let i = 0; i < expansion.count; i++) expect(snapshot.instances.has(`${taskId}[${i}]`)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
