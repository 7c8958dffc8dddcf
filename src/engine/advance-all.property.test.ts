// advanceAll(events) must equal advancing through the same events one at a time: the scheduler batches
// a run's events of one tick, and nothing about the outcome may depend on how they were batched.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { advance, advanceAll, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot, type TaskSketch } from "./engine-fixtures.test-util.js";
import { TRIGGER_RULES } from "./states.js";
import type { EngineEvent, RunSnapshot } from "./types.js";

const dagArb = fc
  .array(fc.record({ mask: fc.nat({ max: 2 ** 8 - 1 }), trigger: fc.constantFrom(...TRIGGER_RULES), retries: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 8 })
  .map((specs) => {
    const tasks: Record<string, TaskSketch> = {};
    specs.forEach((spec, i) => {
      const upstream: string[] = [];
      for (let j = 0; j < i; j += 1) if (spec.mask & (1 << j)) upstream.push(`t${j}`);
      tasks[`t${i}`] = { upstream, trigger: spec.trigger, retry: { retries: spec.retries, backoff: "fixed", retryDelayMs: 10, maxRetryDelayMs: 100 } };
    });
    return tasks;
  });

/** Random events over the run's tasks: plausible ones (right try numbers) mixed with stale ones. */
const eventArb = (n: number) =>
  fc.record({ task: fc.nat({ max: n - 1 }), kind: fc.nat({ max: 6 }), stale: fc.boolean() }).map(({ task, kind, stale }) => ({ taskId: `t${task}`, kind, stale }));

/** The event a scheduler would most likely send next for this instance, given its state. */
const NEXT_KIND: Record<string, number[]> = { scheduled: [0], queued: [1], running: [2, 3, 4], up_for_retry: [5] };

function toEvent(snapshot: RunSnapshot, pick: { taskId: string; kind: number; stale: boolean }): EngineEvent {
  const instance = snapshot.instances.get(pick.taskId);
  const likely = NEXT_KIND[instance?.state ?? ""];
  // Mostly the plausible next event (so batches chain: a success schedules a task queued in the same tick).
  if (!pick.stale && likely && pick.kind < 6) pick = { ...pick, kind: likely[pick.kind % likely.length] as number };
  const n = (instance?.tryNumber ?? 0) + (pick.stale ? 5 : 0);
  const ref = { taskId: pick.taskId, mapIndex: -1 };
  switch (pick.kind) {
    case 0:
      return { kind: "try_queued", ...ref, tryNumber: n + 1 };
    case 1:
      return { kind: "try_started", ...ref, tryNumber: n };
    case 2:
      return { kind: "try_succeeded", ...ref, tryNumber: n, output: "1" };
    case 3:
      return { kind: "try_failed", ...ref, tryNumber: n, error: { name: "E", message: "m", retryable: true, kind: "error" } };
    case 4:
      return { kind: "try_skipped", ...ref, tryNumber: n };
    case 5:
      return { kind: "retry_due", ...ref };
    default:
      return { kind: "run_cancel_requested" };
  }
}

function state(snapshot: RunSnapshot): string {
  return JSON.stringify({ s: snapshot.state, u: snapshot.unfinished, f: snapshot.failed, i: [...snapshot.instances.entries()] });
}

describe("advanceAll", () => {
  it("equals advancing one event at a time", () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.array(eventArb(8), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 25 }), (tasks, ticks) => {
        const graph = engineGraph(tasks);
        const one = freshSnapshot(graph);
        const batched = freshSnapshot(graph);
        applyDecision(one, advance(one, { kind: "run_started" }, 0));
        applyDecision(batched, advanceAll(batched, [{ kind: "run_started" }], 0));
        let now = 0;
        for (const tick of ticks) {
          now += 50;
          // Events are derived from the sequential snapshot, so most of them are meaningful.
          const events: EngineEvent[] = [];
          for (const pick of tick) {
            const event = toEvent(one, pick);
            events.push(event);
            applyDecision(one, advance(one, event, now));
          }
          applyDecision(batched, advanceAll(batched, events, now));
          expect(state(batched)).toBe(state(one));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("advanceAll, by example", () => {
  it("sees the consequences of earlier events of the batch: a success schedules a task claimed in the same batch", () => {
    const graph = engineGraph({
      a: { upstream: [], trigger: "all_success", retry: { retries: 0, backoff: "fixed", retryDelayMs: 10, maxRetryDelayMs: 100 } },
      b: { upstream: ["a"], trigger: "all_success", retry: { retries: 0, backoff: "fixed", retryDelayMs: 10, maxRetryDelayMs: 100 } },
    });
    const snapshot = freshSnapshot(graph);
    applyDecision(snapshot, advanceAll(snapshot, [{ kind: "run_started" }, { kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 }, { kind: "try_started", taskId: "a", mapIndex: -1, tryNumber: 1 }], 0));
    const decision = advanceAll(snapshot, [
      { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1 },
      { kind: "try_queued", taskId: "b", mapIndex: -1, tryNumber: 1 },
    ], 1);
    expect(decision.transitions.map((t) => `${t.taskId}:${t.from}→${t.to}`)).toEqual(["a:running→success", "b:pending→scheduled", "b:scheduled→queued"]);
    applyDecision(snapshot, decision);
    expect(snapshot.instances.get("b")?.state).toBe("queued");
  });
});
