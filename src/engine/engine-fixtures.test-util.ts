// Test-only builders shared by the engine's test files (not matched by vitest's *.test.ts pattern).
import fc from "fast-check";
import { expect } from "vitest";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { compileEngineGraph } from "./compile-graph.js";
import { createRunSnapshot } from "./snapshot.js";
import { isTerminalTaskState, TRIGGER_RULES, type TriggerRule } from "./states.js";
import type { TriggerOutcome } from "./trigger-rules.js";
import type { EngineEvent, EngineGraph, RetryPolicy, RunSnapshot } from "./types.js";

export interface TaskSketch {
  upstream?: string[];
  /** A mapped task: over these upstreams (they are added to `upstream`), zipped unless `mode` says otherwise. */
  map?: { sources: string[]; mode?: "item" | "zip" | "product" };
  branch?: "choose" | "short_circuit";
  trigger?: TriggerRule;
  retry?: Partial<RetryPolicy>;
  alerts?: { onFailure?: string[]; onRetry?: string[]; onSuccess?: string[] };
}

export const NO_RETRY: RetryPolicy = { retries: 0, retryDelayMs: 1_000, backoff: "fixed", maxRetryDelayMs: 60_000 };

/** Declaration order must already be topological: tests write upstreams before their downstream. */
export function pipelineGraph(tasks: Record<string, TaskSketch>): PipelineGraph {
  const nodes: TaskNode[] = Object.entries(tasks).map(([id, sketch]) => ({
    id,
    kind: sketch.branch ? ("branch" as const) : ("function" as const),
    ...(sketch.branch ? { branch: sketch.branch } : {}),
    upstream: [...new Set([...(sketch.upstream ?? []), ...(sketch.map?.sources ?? [])])],
    needs: {},
    after: sketch.upstream ?? [],
    map: sketch.map?.sources[0] ?? null,
    ...(sketch.map
      ? { mapping: { mode: sketch.map.mode ?? (sketch.map.sources.length === 1 ? ("item" as const) : ("zip" as const)), over: Object.fromEntries(sketch.map.sources.map((s, i) => [`s${i}`, s])), maxParallel: null } }
      : {}),
    trigger: sketch.trigger ?? "all_success",
    retry: { ...NO_RETRY, ...sketch.retry },
    timeoutMs: null,
    queue: "default",
    pool: "default",
    priority: 0,
    cache: { enabled: false, ttlMs: null, customKey: false },
    description: null,
    command: null,
    codeHash: "test",
    alerts: { onFailure: sketch.alerts?.onFailure ?? [], onRetry: sketch.alerts?.onRetry ?? [], onSuccess: sketch.alerts?.onSuccess ?? [] },
  }));
  return {
    id: "test_pipeline",
    version: "v1",
    file: "/test/pipeline.ts",
    alerts: { onFailure: [], onSuccess: [] },
    description: null,
    schedule: null,
    timezone: "UTC",
    start: null,
    end: null,
    catchup: false,
    tags: [],
    maxActiveRuns: 1,
    maxActiveTasks: null,
    timeoutMs: null,
    paramsSchema: null,
    tasks: nodes,
    order: nodes.map((node) => node.id),
  };
}

export function engineGraph(tasks: Record<string, TaskSketch>): EngineGraph {
  return compileEngineGraph(pipelineGraph(tasks));
}

/** A queued run with every instance pending and unmapped, as the scheduler creates it. */
export function freshSnapshot(graph: EngineGraph, runId = "run_1"): RunSnapshot {
  return createRunSnapshot(
    runId,
    "queued",
    graph,
    graph.order.map((taskId) => ({ taskId, mapIndex: -1, state: "pending" as const, tryNumber: 0, retryAtMs: null })),
  );
}

// An upstream's state as a downstream sees it: one of the terminal outcomes, or still going.
export type Upstream = "success" | "skipped" | "failed" | "upstream_failed" | "removed" | "not_done";
export const UPSTREAM_STATES: Upstream[] = ["success", "skipped", "failed", "upstream_failed", "removed", "not_done"];

// The oracle, written from Airflow's documentation over the list of upstreams rather than over counts.
// Removed upstreams don't exist for the rule (they are no longer in the pipeline).
export function oracle(rule: TriggerRule, all: Upstream[]): TriggerOutcome {
  const ups = all.filter((u) => u !== "removed");
  if (ups.length === 0 || rule === "always") return "run";
  const some = (...states: Upstream[]) => ups.some((u) => states.includes(u));
  const every = (...states: Upstream[]) => ups.every((u) => states.includes(u));
  const allDone = !some("not_done");
  switch (rule) {
    case "all_success":
      if (some("failed", "upstream_failed")) return "upstream_failed";
      if (some("skipped")) return "skip";
      return every("success") ? "run" : "wait";
    case "all_failed":
      if (some("success", "skipped")) return "skip";
      return every("failed", "upstream_failed") ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "all_skipped":
      if (some("success", "failed", "upstream_failed")) return "skip";
      return every("skipped") ? "run" : "wait";
    case "one_success":
      if (some("success")) return "run";
      if (!allDone) return "wait";
      return every("skipped") ? "skip" : "upstream_failed";
    case "one_failed":
      if (some("failed", "upstream_failed")) return "run";
      return allDone ? "skip" : "wait";
    case "one_done":
      if (some("success", "failed")) return "run";
      return allDone ? "skip" : "wait";
    case "none_failed":
      if (some("failed", "upstream_failed")) return "upstream_failed";
      return allDone ? "run" : "wait";
    case "none_failed_min_one_success":
      if (some("failed", "upstream_failed")) return "upstream_failed";
      if (every("skipped")) return "skip";
      return allDone ? "run" : "wait";
    case "none_skipped":
      if (some("skipped")) return "skip";
      return allDone ? "run" : "wait";
  }
}

/**
 * Random DAGs of up to `maxTasks` tasks for property tests: task i may depend on earlier ones, and may be
 * mapped over one or two of them (zip or product), under any trigger rule, with 0 or 1 retry.
 */
export function mappedDagArb(maxTasks: number): fc.Arbitrary<Record<string, TaskSketch>> {
  const taskArb = fc.record({
    upstreamMask: fc.nat({ max: 2 ** maxTasks - 1 }),
    mapMask: fc.nat({ max: 2 ** maxTasks - 1 }),
    mapped: fc.boolean(),
    product: fc.boolean(),
    trigger: fc.constantFrom(...TRIGGER_RULES),
    retries: fc.integer({ min: 0, max: 1 }),
  });
  return fc.array(taskArb, { minLength: 1, maxLength: maxTasks }).map((specs) => {
    const tasks: Record<string, TaskSketch> = {};
    specs.forEach((spec, i) => {
      const upstream: string[] = [];
      const sources: string[] = [];
      for (let j = 0; j < i; j++) {
        if (spec.upstreamMask & (1 << j)) upstream.push(`t${j}`);
        if (spec.mapped && spec.mapMask & (1 << j) && sources.length < 2) sources.push(`t${j}`);
      }
      const sketch: TaskSketch = { upstream, trigger: spec.trigger, retry: { retries: spec.retries, retryDelayMs: 10 } };
      if (sources.length > 0) sketch.map = { sources, mode: sources.length > 1 && spec.product ? "product" : sources.length > 1 ? "zip" : "item" };
      tasks[`t${i}`] = sketch;
    });
    return tasks;
  });
}

/**
 * One step of a randomly driven run: a live instance chosen by `choose` moves on (queued, started, retry
 * due); a running one ends as `ending` says for the next pick. Fails when nothing can move (a stuck run).
 */
export function randomEvent(
  snapshot: RunSnapshot,
  choose: () => number,
  nowMs: number,
  ending: (ref: { taskId: string; mapIndex: number; tryNumber: number }, pick: number) => EngineEvent,
): { event: EngineEvent; nowMs: number; pick: number } {
  const live = [...snapshot.instances.values()].filter((i) => !isTerminalTaskState(i.state) && i.state !== "pending");
  expect(live.length, `stuck: ${JSON.stringify([...snapshot.instances.values()].map((i) => [i.taskId, i.mapIndex, i.state]))}`).toBeGreaterThan(0);
  const instance = live[choose() % live.length]!;
  const ref = { taskId: instance.taskId, mapIndex: instance.mapIndex };
  const pick = choose();
  if (instance.state === "scheduled") return { event: { kind: "try_queued", ...ref, tryNumber: instance.tryNumber + 1 }, nowMs, pick };
  if (instance.state === "queued") return { event: { kind: "try_started", ...ref, tryNumber: instance.tryNumber }, nowMs, pick };
  if (instance.state === "up_for_retry") return { event: { kind: "retry_due", ...ref }, nowMs: Math.max(nowMs, instance.retryAtMs ?? 0), pick };
  return { event: ending({ ...ref, tryNumber: instance.tryNumber }, pick), nowMs, pick };
}
