// Rows as the database returns them, and their mapping to the Store's records. The only place that knows the
// column encodings: booleans as 0/1, JSON as text, nullable epoch-ms integers.
import type { TaskFailure } from "../engine/types.js";
import type { RunState, TaskState, TryState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
import { compactGraph, decodeStoredGraph } from "../graph/wire-graph.js";
import type { ReprocessMode } from "../time/index.js";
import type {
  BackfillRecord,
  BackfillState,
  LeaseRecord,
  PipelineRecord,
  PoolRecord,
  RunRecord,
  RunTrigger,
  TaskInstanceRecord,
  TryRecord,
} from "./types.js";

export interface PipelineRow {
  [column: string]: unknown;
  id: string;
  version: string;
  file: string;
  paused: number;
  updated_ms: number;
  graph_json: string;
}

export interface RunRow {
  [column: string]: unknown;
  id: string;
  pipeline_id: string;
  version: string;
  state: string;
  trigger: string;
  logical_date_ms: number;
  interval_start_ms: number;
  interval_end_ms: number;
  params_json: string;
  file: string;
  backfill_id: string | null;
  owner: string | null;
  created_ms: number;
  started_ms: number | null;
  ended_ms: number | null;
}

export interface InstanceRow {
  [column: string]: unknown;
  run_id: string;
  task_id: string;
  map_index: number;
  state: string;
  try_number: number;
  retry_base: number;
  map_shape: string | null;
  cached: number;
  retry_at_ms: number | null;
  started_ms: number | null;
  ended_ms: number | null;
}

export interface TryRow {
  [column: string]: unknown;
  run_id: string;
  task_id: string;
  map_index: number;
  try_number: number;
  state: string;
  queued_ms: number;
  started_ms: number | null;
  ended_ms: number | null;
  worker: string | null;
  error_json: string | null;
  has_output: number;
}

// Drivers may hand back BIGINT columns as bigint or string (pg); the store's records hold numbers.
function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/**
 * A version's graph as stored: its compact form (graph/wire-graph.ts: ids once, edges as positions, shared
 * task templates), a sixteenth of the plain JSON for a large DAG and as much faster to write and read.
 */
export function serializeGraph(graph: PipelineGraph): string {
  return JSON.stringify(compactGraph(graph));
}

/** Either form: rows written before the compact form hold the plain graph JSON (told apart by `format`). */
export function parseGraph(json: string): PipelineGraph {
  return decodeStoredGraph(JSON.parse(json) as PipelineGraph);
}

export function toPipelineRecord(row: PipelineRow): PipelineRecord {
  return {
    id: row.id,
    version: row.version,
    file: row.file,
    paused: toNumber(row.paused) !== 0,
    graph: parseGraph(row.graph_json),
    updatedMs: toNumber(row.updated_ms),
  };
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    pipelineId: row.pipeline_id,
    version: row.version,
    state: row.state as RunState,
    trigger: row.trigger as RunTrigger,
    logicalDateMs: toNumber(row.logical_date_ms),
    intervalStartMs: toNumber(row.interval_start_ms),
    intervalEndMs: toNumber(row.interval_end_ms),
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    file: row.file,
    backfillId: row.backfill_id,
    createdMs: toNumber(row.created_ms),
    startedMs: toNumberOrNull(row.started_ms),
    endedMs: toNumberOrNull(row.ended_ms),
    owner: row.owner,
  };
}

export function toInstanceRecord(row: InstanceRow): TaskInstanceRecord {
  return {
    runId: row.run_id,
    taskId: row.task_id,
    mapIndex: toNumber(row.map_index),
    state: row.state as TaskState,
    tryNumber: toNumber(row.try_number),
    retryBase: toNumber(row.retry_base),
    mapShape: row.map_shape === null ? null : row.map_shape.split(",").map(Number),
    cached: toNumber(row.cached) !== 0,
    retryAtMs: toNumberOrNull(row.retry_at_ms),
    startedMs: toNumberOrNull(row.started_ms),
    endedMs: toNumberOrNull(row.ended_ms),
  };
}

export function toTryRecord(row: TryRow): TryRecord {
  return {
    runId: row.run_id,
    taskId: row.task_id,
    mapIndex: toNumber(row.map_index),
    tryNumber: toNumber(row.try_number),
    state: row.state as TryState,
    queuedMs: toNumber(row.queued_ms),
    startedMs: toNumberOrNull(row.started_ms),
    endedMs: toNumberOrNull(row.ended_ms),
    worker: row.worker,
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as TaskFailure),
    hasOutput: toNumber(row.has_output) !== 0,
  };
}

export interface BackfillRow {
  [column: string]: unknown;
  id: string;
  pipeline_id: string;
  from_ms: number;
  to_ms: number;
  concurrency: number | null;
  reprocess: string;
  state: string;
  created_ms: number;
  ended_ms: number | null;
  total_runs: number;
}

export interface PoolRow {
  [column: string]: unknown;
  name: string;
  slots: number;
  description: string | null;
  updated_ms: number;
}

export interface LeaseRow {
  [column: string]: unknown;
  name: string;
  owner: string;
  expires_ms: number;
}

export function toBackfillRecord(row: BackfillRow): BackfillRecord {
  return {
    id: row.id,
    pipelineId: row.pipeline_id,
    fromMs: toNumber(row.from_ms),
    toMs: toNumber(row.to_ms),
    concurrency: toNumberOrNull(row.concurrency),
    reprocess: row.reprocess as ReprocessMode,
    state: row.state as BackfillState,
    createdMs: toNumber(row.created_ms),
    endedMs: toNumberOrNull(row.ended_ms),
    totalRuns: toNumber(row.total_runs),
  };
}

export function toPoolRecord(row: PoolRow): PoolRecord {
  return { name: row.name, slots: toNumber(row.slots), description: row.description, updatedMs: toNumber(row.updated_ms) };
}

export function toLeaseRecord(row: LeaseRow): LeaseRecord {
  return { name: row.name, owner: row.owner, expiresMs: toNumber(row.expires_ms) };
}

/** COUNT(*) and MAX() come back as bigint or string from some drivers (pg), null for MAX over no rows. */
export function toCount(value: unknown): number {
  return toNumber(value ?? 0);
}
