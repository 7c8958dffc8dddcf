// Builds the coordinator's in-memory view of a run (dispatch.ts's ActiveRun): a fresh run, or one rebuilt
// from the store (resumed after its driver died, or reloaded after a guard conflict) with its instances,
// the tries it lost and the outputs its downstream tasks still need.
import { compileEngineGraph, createRunSnapshot, type InstanceRecord, type RunSnapshot } from "../engine/index.js";
import { instanceKey } from "../engine/types.js";
import { isTerminalRunState, type RunState } from "../engine/states.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import type { RunRecord, Store } from "../store/types.js";
import type { ActiveRun } from "./dispatch.js";
import { ReadyQueue } from "./ready-queue.js";
import { RunOutputs } from "./try-jobs.js";

/** A run's active state, not yet registered anywhere; `instances` empty means a new run (all pending). */
export function newActiveRun(
  record: RunRecord,
  graph: PipelineGraph,
  state: RunState,
  instances: readonly InstanceRecord[],
  outputs: RunOutputs | undefined,
  inline: (output: string) => string,
): ActiveRun {
  const engineGraph = compileEngineGraph(graph);
  const rows = instances.length > 0 ? instances : pendingRowsOf(graph);
  const tasks = tasksOf(graph);
  const runOutputs = outputs ?? new RunOutputs(tasks, inline);
  const snapshot = createRunSnapshot(record.id, state, engineGraph, rows, runOutputs.lengths());
  return new TrackedRun(record, graph, tasks, snapshot, runOutputs);
}

/** A version's tasks by id, built once per graph (versions are immutable; nothing writes to the map). */
const tasksByGraph = new WeakMap<PipelineGraph, Map<string, TaskNode>>();
/** A new run's instances (all pending), once per graph: createRunSnapshot only reads them. */
const pendingRowsByGraph = new WeakMap<PipelineGraph, readonly InstanceRecord[]>();

function pendingRowsOf(graph: PipelineGraph): readonly InstanceRecord[] {
  let rows = pendingRowsByGraph.get(graph);
  if (rows === undefined) {
    rows = graph.order.map((taskId) => ({ taskId, mapIndex: -1, state: "pending" as const, tryNumber: 0, retryAtMs: null }));
    pendingRowsByGraph.set(graph, rows);
  }
  return rows;
}

function tasksOf(graph: PipelineGraph): Map<string, TaskNode> {
  let tasks = tasksByGraph.get(graph);
  if (tasks === undefined) {
    tasks = new Map(graph.tasks.map((t) => [t.id, t]));
    tasksByGraph.set(graph, tasks);
  }
  return tasks;
}

/**
 * Made by a constructor, not an object literal: V8 builds a literal's boilerplate the second time it runs,
 * widening the types it recorded for the object-valued fields and deoptimizing the dispatch code that relied
 * on them, so a process's second run compiled that code again (see LiveSnapshot in engine/snapshot.ts).
 */
class TrackedRun implements ActiveRun {
  readonly ready = new ReadyQueue();
  readonly runningByTask = new Map<string, number>();
  finished: Promise<RunState>;
  resolve!: (state: RunState) => void;
  reject!: (error: Error) => void;

  constructor(
    public record: RunRecord,
    public graph: PipelineGraph,
    public tasks: Map<string, TaskNode>,
    public snapshot: RunSnapshot,
    public outputs: RunOutputs,
  ) {
    this.finished = new Promise<RunState>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
}

/** The run's instances as the engine needs them, with how many tries they lost since their retry budget began. */
export async function readInstanceRecords(store: Store, runId: string): Promise<InstanceRecord[]> {
  const [instances, tries] = await Promise.all([store.listTaskInstances(runId), store.listTries(runId)]);
  const retryBases = new Map(instances.map((i) => [instanceKey(i.taskId, i.mapIndex), i.retryBase]));
  const lost = new Map<string, number>();
  for (const t of tries) {
    if (t.error?.kind !== "lost") continue;
    const key = instanceKey(t.taskId, t.mapIndex);
    // Tries up to the last clear (retry_base) use none of the budget, lost ones included (MAX_LOST_TRIES).
    if (t.tryNumber <= (retryBases.get(key) ?? 0)) continue;
    lost.set(key, (lost.get(key) ?? 0) + 1);
  }
  return instances.map((i) => ({ ...i, lostTries: lost.get(instanceKey(i.taskId, i.mapIndex)) ?? 0 }));
}

/** The outputs a rebuilt run needs from the store (see RunOutputs.load). */
export async function loadRunOutputs(store: Store, runId: string, graph: PipelineGraph, inline: (output: string) => string): Promise<RunOutputs> {
  const outputs = new RunOutputs(tasksOf(graph), inline);
  await outputs.load(store, runId, graph);
  return outputs;
}

/**
 * The run's record after its state moved to `state` at `nowMs` (started, ended): a new object with every field
 * set at once, in the store's order (records.ts), not a spread changed afterwards. A spread's clone and a
 * field that goes from null to a number after creation gave each run's record another hidden class, which
 * deoptimized the dispatch code reading it (buildJob, Capacity.count) at the start of every later run.
 */
export function recordInState(record: RunRecord, state: RunState, nowMs: number): RunRecord {
  return {
    id: record.id,
    pipelineId: record.pipelineId,
    version: record.version,
    state,
    trigger: record.trigger,
    logicalDateMs: record.logicalDateMs,
    intervalStartMs: record.intervalStartMs,
    intervalEndMs: record.intervalEndMs,
    params: record.params,
    file: record.file,
    backfillId: record.backfillId,
    createdMs: record.createdMs,
    startedMs: state === "running" && record.startedMs === null ? nowMs : record.startedMs,
    endedMs: isTerminalRunState(state) ? nowMs : record.endedMs,
    owner: record.owner,
  };
}
