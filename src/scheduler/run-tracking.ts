// Builds the coordinator's in-memory view of a run (dispatch.ts's ActiveRun): a fresh run, or one rebuilt
// from the store (resumed after its driver died, or reloaded after a guard conflict) with its instances,
// the tries it lost and the outputs its downstream tasks still need.
import { compileEngineGraph, createRunSnapshot, type InstanceRecord } from "../engine/index.js";
import { instanceKey } from "../engine/types.js";
import type { RunState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
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
  const rows = instances.length > 0 ? instances : graph.order.map((taskId) => ({ taskId, mapIndex: -1, state: "pending" as const, tryNumber: 0, retryAtMs: null }));
  const tasks = new Map(graph.tasks.map((t) => [t.id, t]));
  const runOutputs = outputs ?? new RunOutputs(tasks, inline);
  const snapshot = createRunSnapshot(record.id, state, engineGraph, rows, runOutputs.lengths());
  let resolve!: (state: RunState) => void;
  let reject!: (error: Error) => void;
  const finished = new Promise<RunState>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { record, graph, tasks, snapshot, ready: new ReadyQueue(), outputs: runOutputs, runningByTask: new Map(), finished, resolve, reject };
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
  const outputs = new RunOutputs(new Map(graph.tasks.map((t) => [t.id, t])), inline);
  await outputs.load(store, runId, graph);
  return outputs;
}
