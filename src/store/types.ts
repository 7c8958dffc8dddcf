// The Store contract: domain verbs and the records they read and write. No connection, transaction or SQL
// type appears here (BullMQ's IQueueBackend), so the SQLite and Postgres dialects serve one interface.
import type { Decision, TaskFailure } from "../engine/types.js";
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
}

export interface RunFilter {
  pipelineId?: string;
  states?: readonly RunState[];
  /** Newest first; at most this many (default 100). */
  limit?: number;
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

export interface Store {
  readonly dialect: "sqlite" | "postgres";
  /** Creates or upgrades the schema (forward-only migrations). Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Records a pipeline version and makes it the pipeline's latest; keeps `paused`. Idempotent. */
  savePipelineVersion(graph: PipelineGraph, nowMs: number): Promise<void>;
  getPipeline(pipelineId: string): Promise<PipelineRecord | null>;
  getPipelineVersion(pipelineId: string, version: string): Promise<PipelineGraph | null>;
  listPipelines(): Promise<PipelineRecord[]>;

  /**
   * Creates a run in state `queued` with a `pending` instance per task, in one transaction. A scheduled
   * run for a (pipeline, logical date) that already exists is not created again: `created` is false and
   * `run` is the existing one.
   */
  createRun(run: NewRun, nowMs: number): Promise<{ created: boolean; run: RunRecord }>;
  getRun(runId: string): Promise<RunRecord | null>;
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** Sets the run's owner if it is `expected` (null: nobody); returns whether it did. */
  setRunOwner(runId: string, owner: string | null, expected: string | null): Promise<boolean>;

  listTaskInstances(runId: string): Promise<TaskInstanceRecord[]>;
  /** Tries of a run, optionally of one task instance, ordered by task, map index, try number. */
  listTries(runId: string, taskId?: string, mapIndex?: number): Promise<TryRecord[]>;

  /**
   * Applies decisions, each atomically and guarded (`… where state = $from and try_number = $n`), all in
   * one commit. A decision whose guard fails is rolled back alone and reported as a conflict.
   * Transition → rows: to `queued` inserts try `tryNumber` (the instance's try number was tryNumber-1);
   * to `running` starts it; a try's end (success, failed, up_for_retry, skipped, canceled from
   * running/queued) ends it with its output or error; other transitions change only the instance.
   */
  applyDecisions(decisions: readonly Decision[]): Promise<ApplyResult>;

  /** Encoded outputs of the successful tries of these tasks (map index -1) in a run, by task id. */
  getOutputs(runId: string, taskIds: readonly string[]): Promise<Map<string, string>>;
}
