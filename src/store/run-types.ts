// The records of pipelines, runs, task instances and tries, the inputs that create and filter them, what
// `applyDecisions` answers, and a run request: the rows the Store contract (types.ts) reads and writes most.
import type { EngineEvent, TaskFailure } from "../engine/types.js";
import type { RunState, TaskState, TryState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";

export type RunTrigger = "manual" | "scheduled" | "backfill" | "event";

export interface PipelineRecord {
  id: string;
  /** The latest registered version. */
  version: string;
  file: string;
  paused: boolean;
  graph: PipelineGraph;
  updatedMs: number;
}

export interface RunRecord {
  id: string;
  pipelineId: string;
  /** The pipeline version the run started with; its graph stays readable for the run's life. */
  version: string;
  state: RunState;
  trigger: RunTrigger;
  logicalDateMs: number;
  intervalStartMs: number;
  intervalEndMs: number;
  /** Validated params (the schema's output, JSON). */
  params: Record<string, unknown>;
  /** The pipeline file the run was started from (absolute path). */
  file: string;
  backfillId: string | null;
  createdMs: number;
  startedMs: number | null;
  endedMs: number | null;
  /** Which process drives this run (`weir run` holds it while running; null when nobody does). */
  owner: string | null;
}

export interface TaskInstanceRecord {
  runId: string;
  taskId: string;
  mapIndex: number;
  state: TaskState;
  /** Number of the latest try, 0 before the first. */
  tryNumber: number;
  /** Tries numbered up to this use no retries: the try number at the last clear (migration 0009). */
  retryBase: number;
  /** On instance 0 of a "product" mapped task: its sources' lengths when it expanded; null otherwise. */
  mapShape: number[] | null;
  cached: boolean;
  retryAtMs: number | null;
  /** Start of the first try, end of the last: the instance's span. */
  startedMs: number | null;
  endedMs: number | null;
}

export interface TryRecord {
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  state: TryState;
  queuedMs: number;
  startedMs: number | null;
  endedMs: number | null;
  worker: string | null;
  error: TaskFailure | null;
  /** Whether an output was persisted (fetch it with `getOutputs`). */
  hasOutput: boolean;
}

export interface NewRun {
  id: string;
  pipelineId: string;
  version: string;
  trigger: RunTrigger;
  logicalDateMs: number;
  intervalStartMs: number;
  intervalEndMs: number;
  params: Record<string, unknown>;
  file: string;
  backfillId?: string | null;
  owner?: string | null;
  /** The task ids to create `pending` instances for (map index -1), in topological order. */
  taskIds: readonly string[];
  /**
   * Created already started by the scheduler that drives it, its first decision written with the insert: the
   * run `running` since `atMs`, each instance in the state at its position in `instanceStates` (aligned with
   * `taskIds`). Absent: `queued`, every instance `pending`.
   */
  started?: NewRunStart;
}

/** See NewRun.started. Only states that need no try row: what a run's first decision moves its roots to. */
export interface NewRunStart {
  atMs: number;
  instanceStates: readonly ("pending" | "scheduled")[];
}

/** Where a page of `listRuns` ends: pass the last run of the previous page (any RunRecord fits). */
export type RunCursor = Pick<RunRecord, "createdMs" | "logicalDateMs" | "id">;

/** Filters of `listRuns`; all optional, combined with AND. */
export interface RunFilter {
  pipelineId?: string;
  /** Any of these states; an empty list means no filter. */
  states?: readonly RunState[];
  trigger?: RunTrigger;
  backfillId?: string;
  /** Logical date at or after this (inclusive). */
  logicalDateFromMs?: number;
  /** Logical date at or before this (inclusive, like a backfill's `--to`). */
  logicalDateToMs?: number;
  /**
   * Keyset pagination: only runs after this one in the order of the list (newest first: created_ms, then
   * logical date, then id, all descending). Stable while runs are being created, unlike an offset.
   */
  before?: RunCursor;
  /** Newest first; at most this many (default 100). */
  limit?: number;
}

/** One run of a pipeline at a logical date, as backfill planning needs it. */
export interface RunAtLogicalDate {
  logicalDateMs: number;
  state: RunState;
  id: string;
}

/** What `createRuns` did with one input run, in input order. */
export interface CreatedRun {
  /** The new run's id, or the id of the scheduled run that already existed for the (pipeline, logical date). */
  id: string;
  created: boolean;
}

/** A transition whose guard did not hold: somebody else changed the row first. A value, not an exception. */
export interface DecisionConflict {
  runId: string;
  what: string;
}

export interface ApplyResult {
  /** Decisions committed, by index into the input. */
  applied: number[];
  /** Decisions rolled back because a guard failed (their index and what failed). */
  conflicts: (DecisionConflict & { index: number })[];
}

/** A user's command for a run a scheduler in another process drives (run-requests.ts). */
export interface RunRequestRecord {
  id: string;
  runId: string;
  event: EngineEvent;
  state: "pending" | "done" | "refused";
  /** Why it was refused. */
  message: string | null;
  createdMs: number;
  doneMs: number | null;
}
