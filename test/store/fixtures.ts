// Hand-built records for store tests: a minimal pipeline graph, new runs and engine decisions, written out
// by hand so the store's tests don't depend on the engine (developed alongside).
import type { Decision, InstanceTransition, RunTransition, TaskFailure } from "../../src/engine/types.js";
import type { PipelineGraph, TaskNode } from "../../src/graph/types.js";
import type { NewRun } from "../../src/store/types.js";

export function taskNode(id: string, upstream: string[] = []): TaskNode {
  return {
    id,
    kind: "function",
    upstream,
    needs: {},
    after: upstream,
    map: null,
    trigger: "all_success",
    retry: { retries: 0, retryDelayMs: 1000, backoff: "fixed", maxRetryDelayMs: 1000 },
    timeoutMs: null,
    queue: "default",
    pool: "default",
    priority: 0,
    cache: { enabled: false, ttlMs: null, customKey: false },
    description: null,
    command: null,
    codeHash: `hash-${id}`,
    alerts: { onFailure: [], onRetry: [], onSuccess: [] },
  };
}

export function graph(id: string, version: string, taskIds: string[] = ["a", "b", "c"]): PipelineGraph {
  return {
    id,
    version,
    file: `/pipelines/${id}.ts`,
    description: null,
    schedule: "@daily",
    timezone: "UTC",
    start: "2025-09-01T00:00:00.000Z",
    end: null,
    catchup: false,
    tags: ["test"],
    maxActiveRuns: 16,
    maxActiveTasks: null,
    timeoutMs: null,
    alerts: { onFailure: [], onSuccess: [] },
    paramsSchema: null,
    tasks: taskIds.map((task, i) => taskNode(task, i === 0 ? [] : [taskIds[i - 1]!])),
    order: taskIds,
  };
}

export const DAY_MS = 86_400_000;
export const SEP_1 = Date.UTC(2025, 8, 1);

export function newRun(overrides: Partial<NewRun> & { id: string }): NewRun {
  return {
    pipelineId: "p",
    version: "v1",
    trigger: "manual",
    logicalDateMs: SEP_1,
    intervalStartMs: SEP_1,
    intervalEndMs: SEP_1 + DAY_MS,
    params: {},
    file: "/pipelines/p.ts",
    taskIds: ["a", "b", "c"],
    ...overrides,
  };
}

export function decision(runId: string, nowMs: number, transitions: InstanceTransition[], run?: RunTransition): Decision {
  return { runId, nowMs, transitions, actions: [], timers: [], ...(run === undefined ? {} : { run }) };
}

export function move(
  taskId: string,
  from: InstanceTransition["from"],
  to: InstanceTransition["to"],
  tryNumber: number,
  extra: Partial<InstanceTransition> = {},
): InstanceTransition {
  return { taskId, mapIndex: -1, from, to, tryNumber, ...extra };
}

export function failure(message: string): TaskFailure {
  return { name: "Error", message, stack: `Error: ${message}\n    at task`, retryable: true, kind: "error" };
}
