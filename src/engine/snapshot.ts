// Builds a run's in-memory snapshot from stored instance rows, counting every upstream from scratch.
// Used when the scheduler loads a run (start, recovery) and by tests as the oracle for applyDecision.
import { isTerminalTaskState, type RunState, type TaskState } from "./states.js";
import { upstreamInstanceKeys } from "./instance-edges.js";
import { productShape } from "./mapping.js";
import { countFieldOf, isFailureState } from "./run-ledger.js";
import { zeroCounts } from "./trigger-rules.js";
import type { EngineGraph, Expansion, InstanceSnapshot, RunSnapshot } from "./types.js";
import { instanceKey } from "./types.js";

/** One stored task instance, as the store hands it to the engine. */
export interface InstanceRecord {
  taskId: string;
  mapIndex: number;
  state: TaskState;
  tryNumber: number;
  retryAtMs: number | null;
  /** Tries after retryBase that ended lost (kind "lost"); 0 when not given. */
  lostTries?: number;
  /** Tries that use no retries (see InstanceSnapshot.retryBase; stored by the store), 0 when not given. */
  retryBase?: number;
  /** On instance 0 of a "product" task, the shape it expanded with (stored); else found from its sources. */
  mapShape?: readonly number[] | null;
}

/**
 * Every instance's counts come from its upstream instances' current states. An upstream instance that is
 * missing from `instances` still counts in `total` and is never done, so its downstream waits rather than
 * running early. A mapped task with instances at map index ≥ 0 is expanded. `mapLengths` are the lengths
 * of the outputs of the successful tasks that some task maps over (the scheduler reads them from the store).
 */
export function createRunSnapshot(
  runId: string,
  runState: RunState,
  graph: EngineGraph,
  instances: readonly InstanceRecord[],
  mapLengths: ReadonlyMap<string, number | null> = new Map(),
): RunSnapshot {
  const byKey = new Map<string, InstanceSnapshot>();
  const counts = new Map<string, number>();
  const shapes = new Map<string, readonly number[]>();
  for (const record of instances) {
    if (record.mapIndex === 0 && record.mapShape) shapes.set(record.taskId, record.mapShape);
    byKey.set(instanceKey(record.taskId, record.mapIndex), {
      taskId: record.taskId,
      mapIndex: record.mapIndex,
      state: record.state,
      tryNumber: record.tryNumber,
      retryAtMs: record.retryAtMs,
      lostTries: record.lostTries ?? 0,
      retryBase: record.retryBase ?? 0,
      counts: zeroCounts(0),
    });
    if (record.mapIndex >= 0) counts.set(record.taskId, Math.max(counts.get(record.taskId) ?? 0, record.mapIndex + 1));
  }
  const lengths = new Map<string, number | null>();
  for (const [taskId, length] of mapLengths) if (graph.tasks.has(taskId)) lengths.set(taskId, length);
  const expansions = new Map<string, Expansion>();
  // In topological order: a product's shape needs the counts of the mapped tasks it maps over.
  for (const taskId of graph.order) {
    const count = counts.get(taskId);
    const task = graph.tasks.get(taskId);
    if (count === undefined || !task?.mapping) continue;
    const view = { expansion: (id: string) => expansions.get(id), mapLength: (id: string) => lengths.get(id) };
    expansions.set(taskId, { count, shape: task.mapping.mode === "product" ? (shapes.get(taskId) ?? productShape(task, view, count)) : null });
  }
  const view = { expansion: (taskId: string) => expansions.get(taskId) };
  let unfinished = 0;
  let failed = 0;
  for (const instance of byKey.values()) {
    if (!isTerminalTaskState(instance.state)) unfinished += 1;
    if (isFailureState(instance.state)) failed += 1;
    const upstreamKeys = upstreamInstanceKeys(graph, view, instance.taskId, instance.mapIndex);
    instance.counts.total = upstreamKeys.length;
    for (const key of upstreamKeys) {
      const upstream = byKey.get(key);
      const field = upstream ? countFieldOf(upstream.state) : null;
      if (field) instance.counts[field] += 1;
    }
  }
  return new LiveSnapshot(runId, runState, graph, byKey, unfinished, failed, expansions, lengths);
}

/**
 * A snapshot made by a constructor, not an object literal: V8 builds a literal's boilerplate the second
 * time the literal runs, which widens the type it recorded for every object-valued field (the graph, the
 * maps) and throws away all optimized code that relied on it. A run's snapshot is made once per run, so with
 * a literal that happened at the start of a process's second run, and the engine was compiled again.
 */
class LiveSnapshot implements RunSnapshot {
  constructor(
    public runId: string,
    public state: RunState,
    public graph: EngineGraph,
    public instances: Map<string, InstanceSnapshot>,
    public unfinished: number,
    public failed: number,
    public expansions: Map<string, Expansion>,
    public mapLengths: Map<string, number | null>,
  ) {}
}
