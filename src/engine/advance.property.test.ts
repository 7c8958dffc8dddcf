// Property tests: random DAGs, trigger rules and retries, driven by a random simulated scheduler and
// workers (with duplicates, stale reports, early timers and cancels), checking the invariants at every step.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { advance, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, oracle, type TaskSketch, type Upstream } from "./engine-fixtures.test-util.js";
import { createRunSnapshot } from "./snapshot.js";
import { TRIGGER_RULES, isTerminalRunState, isTerminalTaskState, type TaskState } from "./states.js";
import type { TriggerOutcome } from "./trigger-rules.js";
import { isEmptyDecision, type Decision, type EngineEvent, type EngineGraph, type RunSnapshot } from "./types.js";

// Random DAGs of up to 12 tasks: task i may depend on any of tasks 0..i-1 (a bit mask picks which).
const taskArb = fc.record({
  upstreamMask: fc.nat({ max: 2 ** 12 - 1 }),
  trigger: fc.constantFrom(...TRIGGER_RULES),
  retries: fc.integer({ min: 0, max: 2 }),
  backoff: fc.constantFrom("fixed" as const, "exponential" as const),
});
const dagArb = fc.array(taskArb, { minLength: 1, maxLength: 12 }).map((specs) => {
  const tasks: Record<string, TaskSketch> = {};
  specs.forEach((spec, i) => {
    const upstream: string[] = [];
    for (let j = 0; j < i; j += 1) if (spec.upstreamMask & (1 << j)) upstream.push(`t${j}`);
    tasks[`t${i}`] = { upstream, trigger: spec.trigger, retry: { retries: spec.retries, backoff: spec.backoff, retryDelayMs: 100, maxRetryDelayMs: 1_000 } };
  });
  return tasks;
});
const choicesArb = fc.array(fc.nat({ max: 1_000_000 }), { minLength: 20, maxLength: 300 });

/** What the trigger-rule oracle says for a task, from a plain state map: the engine's counts are not used. */
function ruleSays(graph: EngineGraph, states: ReadonlyMap<string, TaskState>, taskId: string): TriggerOutcome {
  const upstream = (graph.tasks.get(taskId)?.upstream ?? []).map((up): Upstream => {
    const state = states.get(up);
    if (state === "success" || state === "skipped" || state === "failed" || state === "upstream_failed" || state === "removed") return state;
    return state === "canceled" ? "removed" : "not_done";
  });
  return oracle(graph.tasks.get(taskId)?.trigger ?? "all_success", upstream);
}

const OUTCOME_OF: Partial<Record<TaskState, TriggerOutcome>> = { scheduled: "run", skipped: "skip", upstream_failed: "upstream_failed" };

function stateMap(snapshot: RunSnapshot): Map<string, TaskState> {
  return new Map([...snapshot.instances.values()].map((i) => [i.taskId, i.state]));
}

function serialize(snapshot: RunSnapshot): string {
  return JSON.stringify({ s: snapshot.state, u: snapshot.unfinished, f: snapshot.failed, i: [...snapshot.instances.entries()] });
}

/** Sends one event and checks every invariant around it. Returns the decision. */
function sendChecked(snapshot: RunSnapshot, event: EngineEvent, nowMs: number): Decision {
  const graph = snapshot.graph;
  const before = serialize(snapshot);
  const statesBefore = stateMap(snapshot);
  const decision = advance(snapshot, event, nowMs);
  expect(serialize(snapshot), "advance is pure").toBe(before);

  // Each instance at most once; `from` is its state before the decision; rules decided on what was
  // true at the moment of the transition (replaying the decision's earlier transitions in order).
  const replay = new Map(statesBefore);
  const seen = new Set<string>();
  for (const t of decision.transitions) {
    expect(seen.has(t.taskId), `${t.taskId} twice in one decision`).toBe(false);
    seen.add(t.taskId);
    expect(t.from).toBe(statesBefore.get(t.taskId));
    expect(isTerminalTaskState(t.from), "terminal is terminal").toBe(false);
    if (t.from === "pending" && t.to !== "canceled") {
      expect({ task: t.taskId, outcome: ruleSays(graph, replay, t.taskId) }).toEqual({ task: t.taskId, outcome: OUTCOME_OF[t.to] });
    }
    replay.set(t.taskId, t.to);
  }

  applyDecision(snapshot, decision);

  // Applying the same event again changes nothing (an early retry timer may only re-arm itself).
  const again = advance(snapshot, event, nowMs);
  expect(again.transitions).toEqual([]);
  expect(again.run).toBeUndefined();
  expect(again.actions).toEqual([]);
  if (event.kind !== "retry_due") expect(again.timers).toEqual([]);

  // Terminal instances never change.
  const statesAfter = stateMap(snapshot);
  for (const [taskId, state] of statesBefore) if (isTerminalTaskState(state)) expect(statesAfter.get(taskId)).toBe(state);

  // The run is terminal exactly when all its instances are (a queued run has only pending ones).
  const allTerminal = [...statesAfter.values()].every(isTerminalTaskState);
  expect(isTerminalRunState(snapshot.state)).toBe(allTerminal && snapshot.state !== "queued");
  if (snapshot.state === "success") expect([...statesAfter.values()].some((s) => s === "failed" || s === "upstream_failed")).toBe(false);

  // Incremental bookkeeping equals a recount from scratch.
  const fresh = createRunSnapshot(snapshot.runId, snapshot.state, graph, [...snapshot.instances.values()]);
  expect(snapshot.unfinished).toBe(fresh.unfinished);
  expect(snapshot.failed).toBe(fresh.failed);
  for (const [key, instance] of snapshot.instances) expect(instance.counts).toEqual(fresh.instances.get(key)?.counts);

  // Nothing is left pending whose trigger rule has already decided.
  if (snapshot.state === "running") {
    for (const instance of snapshot.instances.values()) {
      if (instance.state !== "pending") continue;
      expect({ task: instance.taskId, outcome: ruleSays(graph, statesAfter, instance.taskId) }).toEqual({ task: instance.taskId, outcome: "wait" });
    }
  }
  return decision;
}

/** The events that move an in-flight instance on, as a scheduler and its workers would produce them. */
function progressEvents(snapshot: RunSnapshot, pick: number, nowMs: number): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (const i of snapshot.instances.values()) {
    const ref = { taskId: i.taskId, mapIndex: i.mapIndex };
    const error = { name: "Error", message: "boom", retryable: pick % 7 !== 0, kind: "error" as const };
    switch (i.state) {
      case "scheduled":
        events.push({ kind: "try_queued", ...ref, tryNumber: i.tryNumber + 1 });
        break;
      case "queued":
        events.push({ kind: "try_started", ...ref, tryNumber: i.tryNumber, worker: "w" });
        if (pick % 5 === 0) events.push({ kind: "try_succeeded", ...ref, tryNumber: i.tryNumber });
        break;
      case "running":
        events.push({ kind: "try_succeeded", ...ref, tryNumber: i.tryNumber, output: "1" });
        events.push({ kind: "try_failed", ...ref, tryNumber: i.tryNumber, error });
        events.push({ kind: "try_skipped", ...ref, tryNumber: i.tryNumber });
        break;
      case "up_for_retry":
        if (i.retryAtMs !== null && nowMs >= i.retryAtMs) events.push({ kind: "retry_due", ...ref });
        break;
      default:
        break;
    }
  }
  return events;
}

function simulate(tasks: Record<string, TaskSketch>, choices: number[]): RunSnapshot {
  const snapshot = freshSnapshot(engineGraph(tasks));
  const first: EngineEvent = { kind: "run_started" };
  sendChecked(snapshot, first, 0);
  drive(snapshot, choices, 0, first);
  return snapshot;
}

/** Drives a started run to its end as random schedulers and workers would; returns the clock at the end. */
function drive(snapshot: RunSnapshot, choices: number[], startMs: number, first: EngineEvent): number {
  let nowMs = startMs;
  let step = 0;
  const choose = (): number => choices[step++ % choices.length] ?? 0;
  let last = first;

  // Each of ≤12 instances makes ≤3 tries of ≤4 events; anything beyond means the run is stuck.
  for (let round = 0; round < 400 && !isTerminalRunState(snapshot.state); round += 1) {
    nowMs += 10;
    const pick = choose();
    // Noise between real events: duplicates, stale tries, early timers, and the odd cancel.
    if (pick % 97 === 0) {
      sendChecked(snapshot, { kind: "run_cancel_requested", reason: "test" }, nowMs);
      break;
    }
    if (pick % 4 === 0) sendChecked(snapshot, last, nowMs);
    if (pick % 6 === 0) {
      const victim = [...snapshot.instances.values()][pick % snapshot.instances.size];
      if (victim) {
        const ref = { taskId: victim.taskId, mapIndex: -1 };
        sendChecked(snapshot, { kind: "try_succeeded", ...ref, tryNumber: victim.tryNumber + 1 + (pick % 3) }, nowMs);
        sendChecked(snapshot, { kind: "retry_due", ...ref }, nowMs);
      }
    }
    let events = progressEvents(snapshot, pick, nowMs);
    if (events.length === 0) {
      // Only retry timers are outstanding: jump the clock to the earliest one.
      const due = [...snapshot.instances.values()].flatMap((i) => (i.state === "up_for_retry" && i.retryAtMs !== null ? [i.retryAtMs] : []));
      expect(due.length, `run stuck in ${snapshot.state}: ${JSON.stringify([...stateMap(snapshot)])}`).toBeGreaterThan(0);
      nowMs = Math.max(nowMs, Math.min(...due));
      events = progressEvents(snapshot, pick, nowMs);
    }
    const event = events[choose() % events.length];
    if (!event) throw new Error("no event to send");
    sendChecked(snapshot, event, nowMs);
    last = event;
  }
  return nowMs;
}

const CLEARABLE: ReadonlySet<TaskState> = new Set<TaskState>(["success", "failed", "skipped", "upstream_failed", "canceled"]);

/** Clears `keys` in an ended run and checks every invariant around it (as sendChecked does for other events). */
function clearChecked(snapshot: RunSnapshot, taskIds: readonly string[], nowMs: number): Decision {
  const graph = snapshot.graph;
  const event: EngineEvent = { kind: "instances_cleared", keys: taskIds.map((taskId) => ({ taskId, mapIndex: -1 })) };
  const before = serialize(snapshot);
  const statesBefore = stateMap(snapshot);
  const triesBefore = new Map([...snapshot.instances.values()].map((i) => [i.taskId, i.tryNumber]));
  const decision = advance(snapshot, event, nowMs);
  expect(serialize(snapshot), "advance is pure").toBe(before);

  // A cleared instance moves terminal → pending first, keeping its try number; everything else that moves is
  // a pending instance whose rule decided on what was true at that moment.
  const listed = new Set(taskIds);
  const cleared = new Set([...listed].filter((id) => CLEARABLE.has(statesBefore.get(id) as TaskState)));
  const replay = new Map(statesBefore);
  const seen = new Map<string, number>();
  for (const t of decision.transitions) {
    seen.set(t.taskId, (seen.get(t.taskId) ?? 0) + 1);
    expect(t.from).toBe(replay.get(t.taskId));
    if (isTerminalTaskState(t.from)) {
      expect(cleared.has(t.taskId) && seen.get(t.taskId) === 1, `${t.taskId} left ${t.from}`).toBe(true);
      expect({ to: t.to, tryNumber: t.tryNumber, reason: t.reason }).toEqual({ to: "pending", tryNumber: triesBefore.get(t.taskId), reason: "cleared by a user" });
    } else {
      expect(t.from).toBe("pending");
      expect({ task: t.taskId, outcome: ruleSays(graph, replay, t.taskId) }).toEqual({ task: t.taskId, outcome: OUTCOME_OF[t.to] });
    }
    replay.set(t.taskId, t.to);
  }
  for (const id of cleared) expect(seen.get(id), `${id} cleared`).toBeGreaterThanOrEqual(1);
  for (const [id, n] of seen) expect(n, `${id} moves`).toBeLessThanOrEqual(2);

  applyDecision(snapshot, decision);
  const statesAfter = stateMap(snapshot);
  for (const [taskId, state] of statesBefore) if (isTerminalTaskState(state) && !cleared.has(taskId)) expect(statesAfter.get(taskId)).toBe(state);
  for (const i of snapshot.instances.values()) expect(i.tryNumber).toBe(triesBefore.get(i.taskId));
  const allTerminal = [...statesAfter.values()].every(isTerminalTaskState);
  expect(isTerminalRunState(snapshot.state)).toBe(allTerminal);
  if (cleared.size === 0) expect(isEmptyDecision(decision)).toBe(true);
  if (!allTerminal) expect(decision.run).toEqual({ from: JSON.parse(before).s as string, to: "running" });

  const fresh = createRunSnapshot(snapshot.runId, snapshot.state, graph, [...snapshot.instances.values()]);
  expect(snapshot.unfinished).toBe(fresh.unfinished);
  expect(snapshot.failed).toBe(fresh.failed);
  for (const [key, instance] of snapshot.instances) expect(instance.counts).toEqual(fresh.instances.get(key)?.counts);
  if (snapshot.state === "running") {
    for (const instance of snapshot.instances.values()) {
      if (instance.state !== "pending") continue;
      expect({ task: instance.taskId, outcome: ruleSays(graph, statesAfter, instance.taskId) }).toEqual({ task: instance.taskId, outcome: "wait" });
    }
  }
  // The same clear again equals it once: what it cleared and left unfinished doesn't move; what its trigger
  // rule settled at once (upstream still failed, say) is cleared and settled the same way again.
  const copy = createRunSnapshot(snapshot.runId, snapshot.state, graph, [...snapshot.instances.values()].map((i) => ({ ...i })));
  const again = advance(copy, event, nowMs);
  expect(again.run).toBeUndefined();
  for (const t of again.transitions) expect(isTerminalTaskState(statesAfter.get(t.taskId) as TaskState), `${t.taskId} moved again`).toBe(true);
  applyDecision(copy, again);
  expect(serialize(copy)).toBe(serialize(snapshot));
  return decision;
}

/** The subset picked by `mask`, plus everything downstream of it (what `weir clear --downstream` lists). */
function withDownstream(graph: EngineGraph, mask: number): string[] {
  const picked = new Set(graph.order.filter((_, i) => mask & (1 << i)));
  for (const id of graph.order) if (graph.tasks.get(id)?.upstream.some((up) => picked.has(up))) picked.add(id);
  return graph.order.filter((id) => picked.has(id));
}

describe("advance: properties over random DAGs and event orders", () => {
  it("every run terminates, with all instances terminal, and every invariant holds at every step", () => {
    fc.assert(
      fc.property(dagArb, choicesArb, (tasks, choices) => {
        const snapshot = simulate(tasks, choices);
        expect(isTerminalRunState(snapshot.state), `run ended ${snapshot.state}`).toBe(true);
        const states = [...snapshot.instances.values()].map((i) => i.state);
        expect(states.every(isTerminalTaskState)).toBe(true);
        if (snapshot.state !== "canceled") {
          expect(snapshot.state).toBe(states.some((s) => s === "failed" || s === "upstream_failed") ? "failed" : "success");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a cleared run (a random subset and its downstream) runs to its end again, every invariant holding", () => {
    fc.assert(
      fc.property(dagArb, choicesArb, fc.nat({ max: 2 ** 12 - 1 }), choicesArb, (tasks, choices, mask, again) => {
        const snapshot = freshSnapshot(engineGraph(tasks));
        sendChecked(snapshot, { kind: "run_started" }, 0);
        const endMs = drive(snapshot, choices, 0, { kind: "run_started" });
        expect(isTerminalRunState(snapshot.state)).toBe(true);

        const keys = withDownstream(snapshot.graph, mask);
        const clearMs = endMs + 1_000;
        clearChecked(snapshot, keys, clearMs);
        // A scheduler adopts the reopened run (run_reconciled, harmless to repeat) and drives it to its end.
        sendChecked(snapshot, { kind: "run_reconciled" }, clearMs);
        drive(snapshot, again, clearMs, { kind: "run_reconciled" });
        expect(isTerminalRunState(snapshot.state), `run ended ${snapshot.state}`).toBe(true);
        const states = [...snapshot.instances.values()].map((i) => i.state);
        expect(states.every(isTerminalTaskState)).toBe(true);
        if (snapshot.state !== "canceled") {
          expect(snapshot.state).toBe(states.some((s) => s === "failed" || s === "upstream_failed") ? "failed" : "success");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a run's outcome doesn't depend on which scheduler replays it: same events, same decisions", () => {
    fc.assert(
      fc.property(dagArb, choicesArb, (tasks, choices) => {
        expect(serialize(simulate(tasks, choices))).toBe(serialize(simulate(tasks, choices)));
      }),
      { numRuns: 50 },
    );
  });
});
