// Turns a claimed task instance into the job a worker runs: run facts, typed inputs from upstream
// outputs (kept in memory when small, read from the store when not), and the try's log path.
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { tryLogPath } from "../observe/try-log-path.js";
import type { RunRecord, Store } from "../store/types.js";
import { tryKeyOf, type TryJob } from "../worker/protocol.js";

/** Outputs bigger than this are read from the store when needed instead of kept in memory. */
export const OUTPUT_CACHE_MAX_CHARS = 64 * 1024;

export interface PendingJob {
  job: TryJob;
  /** Input name → upstream task id of outputs not in memory: read before submitting. */
  missing: Map<string, string>;
}

export function buildJob(home: string, run: RunRecord, task: TaskNode, outputs: ReadonlyMap<string, string>, mapIndex: number, tryNumber: number): PendingJob {
  const inputs: Record<string, string> = {};
  const missing = new Map<string, string>();
  for (const [name, upstream] of Object.entries(task.needs)) {
    const output = outputs.get(upstream);
    if (output === undefined) missing.set(name, upstream);
    else inputs[name] = output;
  }
  const job: TryJob = {
    tryKey: tryKeyOf(run.id, task.id, mapIndex, tryNumber),
    file: run.file,
    pipelineId: run.pipelineId,
    version: run.version,
    taskId: task.id,
    mapIndex,
    tryNumber,
    maxTries: task.retry.retries + 1,
    runId: run.id,
    logicalDateMs: run.logicalDateMs,
    intervalStartMs: run.intervalStartMs,
    intervalEndMs: run.intervalEndMs,
    params: run.params,
    inputs,
    logPath: tryLogPath(home, run.pipelineId, run.id, task.id, mapIndex, tryNumber),
    timeoutMs: task.timeoutMs,
    idempotencyKey: `${run.id}/${task.id}/${mapIndex}`,
  };
  return { job, missing };
}

/** Fills inputs whose outputs were not in memory; an upstream without output leaves its input undefined. */
export async function readMissingInputs(store: Store, pending: PendingJob): Promise<void> {
  if (pending.missing.size === 0) return;
  const outputs = await store.getOutputs(pending.job.runId, [...new Set(pending.missing.values())]);
  for (const [name, upstream] of pending.missing) {
    const output = outputs.get(upstream);
    if (output !== undefined) pending.job.inputs[name] = output;
  }
}

/** Upstream task ids whose outputs some task of the graph needs. */
export function neededOutputs(graph: PipelineGraph): string[] {
  const needed = new Set<string>();
  for (const task of graph.tasks) for (const up of Object.values(task.needs)) needed.add(up);
  return [...needed];
}

export function parseTryKey(tryKey: string): { runId: string; taskId: string; mapIndex: number; tryNumber: number } | null {
  const parts = tryKey.split("/");
  if (parts.length !== 4) return null;
  const [runId, taskId, mapIndex, tryNumber] = parts as [string, string, string, string];
  return { runId, taskId, mapIndex: Number(mapIndex), tryNumber: Number(tryNumber) };
}
