// Builds a run's in-memory snapshot from stored instance rows, counting every upstream from scratch.
// Used when the scheduler loads a run (start, recovery) and by tests as the oracle for applyDecision.
import { isTerminalTaskState, type RunState, type TaskState } from "./states.js";
import { upstreamInstanceKeys } from "./instance-edges.js";
import { countFieldOf, isFailureState } from "./run-ledger.js";
import { zeroCounts } from "./trigger-rules.js";
import type { EngineGraph, InstanceSnapshot, RunSnapshot } from "./types.js";
import { instanceKey } from "./types.js";

/** One stored task instance, as the store hands it to the engine. */
export interface InstanceRecord {
  taskId: string;
  mapIndex: number;
  state: TaskState;
  tryNumber: number;
  retryAtMs: number | null;
  /** Tries that ended lost (kind "lost"); 0 when not given. */
  lostTries?: number;
}

/**
 * Every instance's counts come from its upstream instances' current states. An upstream instance that is
 * missing from `instances` still counts in `total` and is never done, so its downstream waits rather than
 * running early.
 */
export function createRunSnapshot(
  runId: string,
  runState: RunState,
  graph: EngineGraph,
  instances: readonly InstanceRecord[],
): RunSnapshot {
  const byKey = new Map<string, InstanceSnapshot>();
  for (const record of instances) {
    byKey.set(instanceKey(record.taskId, record.mapIndex), {
      taskId: record.taskId,
      mapIndex: record.mapIndex,
      state: record.state,
      tryNumber: record.tryNumber,
      retryAtMs: record.retryAtMs,
      lostTries: record.lostTries ?? 0,
      counts: zeroCounts(0),
    });
  }
  let unfinished = 0;
  let failed = 0;
  for (const instance of byKey.values()) {
    if (!isTerminalTaskState(instance.state)) unfinished += 1;
    if (isFailureState(instance.state)) failed += 1;
    const upstreamKeys = upstreamInstanceKeys(graph, instance.taskId, instance.mapIndex);
    instance.counts.total = upstreamKeys.length;
    for (const key of upstreamKeys) {
      const upstream = byKey.get(key);
      const field = upstream ? countFieldOf(upstream.state) : null;
      if (field) instance.counts[field] += 1;
    }
  }
  return { runId, state: runState, graph, instances: byKey, unfinished, failed };
}
