// The Store contract: domain verbs and the records they read and write. No connection, transaction or SQL
// type appears here (BullMQ's IQueueBackend), so the SQLite and Postgres dialects serve one interface.
import type { Decision, EngineAction, EngineEvent, TaskFailure } from "../engine/types.js";
import type { RunState, TaskState, TryState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
import type { ReprocessMode } from "../time/index.js";
import type { CachedTry, PrunableArtifact, SubRunLink } from "./cache-types.js";

export type { CachedTry, PrunableArtifact, SubRunLink };
import type { EventStore } from "./event-types.js";
import type { SensorStore } from "./sensor-types.js";

export type { EventDelivery, EventFilter, EventOutcome, EventRecord, NewDelivery, NewEvent } from "./event-types.js";

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

export type BackfillState = "running" | "success" | "failed" | "canceled";

export interface BackfillRecord {
  id: string;
  pipelineId: string;
  /** First and last logical date of the range, both inclusive. */
  fromMs: number;
  toMs: number;
  /** At most this many of its runs running at once; null: unlimited. */
  concurrency: number | null;
  reprocess: ReprocessMode;
  state: BackfillState;
  createdMs: number;
  /** Set when the backfill reaches success, failed or canceled. */
  endedMs: number | null;
  /** How many runs the backfill created. */
  totalRuns: number;
}

export interface NewBackfill {
  id: string;
  pipelineId: string;
  fromMs: number;
  toMs: number;
  concurrency: number | null;
  reprocess: ReprocessMode;
  totalRuns: number;
}

export interface BackfillFilter {
  pipelineId?: string;
  /** Any of these states; an empty list means no filter. */
  states?: readonly BackfillState[];
}

export interface PoolRecord {
  name: string;
  /** How many task instances of this pool may run at once (0 stops the pool). */
  slots: number;
  description: string | null;
  updatedMs: number;
}

export interface PoolInput {
  name: string;
  slots: number;
  /** Omitted: keep the existing description (none for a new pool); null: clear it. */
  description?: string | null;
}

/**
 * A write that must not commit unless `owner` still holds the named lease (the scheduler's decisions while
 * several schedulers run): refused with `scheduler_fenced`, nothing written, once another owner took it over.
 */
export interface LeaseFence {
  lease: string;
  owner: string;
}

export interface LeaseRecord {
  name: string;
  owner: string;
  /** The lease is held while now < expiresMs. */
  expiresMs: number;
}

export interface MigrateOptions {
  /**
   * Slots of the `default` pool when migrate creates it (default DEFAULT_POOL_SLOTS, 128). An existing
   * default pool keeps its size: `setPool` (`weir pools set default N`) is what changes it.
   */
  defaultPoolSlots?: number;
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

/** A notification waiting in the outbox, with what delivery needs of its run. */
export interface OutboxRecord {
  id: string;
  runId: string;
  pipelineId: string;
  logicalDateMs: number;
  createdMs: number;
  /** A notify action of the engine, or a missed deadline the scheduler found (`recordDeadlineMissed`). */
  action: Omit<Extract<EngineAction, { kind: "notify" }>, "event"> & { event: Extract<EngineAction, { kind: "notify" }>["event"] | "deadline_missed"; deadline?: DeadlineMissed };
}

/** What a `deadline_missed` notification says about the deadline (README "Alerts"). */
export interface DeadlineMissed {
  afterMs: number;
  /** Interval end + afterMs. */
  dueMs: number;
  /** The run's state when the miss was found (queued or running). */
  state: string;
}

export interface Store {
  /** Events and completion triggers (docs/events.md). */
  readonly events: EventStore<NewRun, RunRecord>;
  /** The sensor hand-off between the scheduler and the trigger loop (docs/adr/0007). */
  readonly sensors: SensorStore;
  readonly dialect: "sqlite" | "postgres";
  /** Read-only pages and counts for the API and the UI (read-queries.ts). */
  readonly reads: ReadQueries;
  /**
   * Creates or upgrades the schema (forward-only migrations) and makes sure the `default` pool exists.
   * Idempotent. Throws `pool_invalid` for a bad `defaultPoolSlots`.
   */
  migrate(options?: MigrateOptions): Promise<void>;
  close(): Promise<void>;

  /** Records a pipeline version and makes it the pipeline's latest; keeps `paused`. Idempotent. */
  savePipelineVersion(graph: PipelineGraph, nowMs: number): Promise<void>;
  getPipeline(pipelineId: string): Promise<PipelineRecord | null>;
  getPipelineVersion(pipelineId: string, version: string): Promise<PipelineGraph | null>;
  listPipelines(): Promise<PipelineRecord[]>;
  /** Ids of the paused pipelines (cheap: no graphs read). */
  pausedPipelineIds(): Promise<string[]>;
  /** Pauses or unpauses scheduling of a pipeline; false when the pipeline is unknown. Idempotent. */
  setPaused(pipelineId: string, paused: boolean): Promise<boolean>;

  /**
   * Creates a run in state `queued` with a `pending` instance per task, in one transaction. A scheduled
   * run for a (pipeline, logical date) that already exists is not created again: `created` is false and
   * `run` is the existing one.
   */
  createRun(run: NewRun, nowMs: number): Promise<{ created: boolean; run: RunRecord }>;
  /**
   * `createRun` for many runs (catch-up, backfills) in ONE transaction: all of them or none. A scheduled run
   * whose (pipeline, logical date) exists, or appears earlier in the batch, is not created again. Results are
   * in input order. Errors as `createRun` (`pipeline_version_unknown`, `run_conflict`), naming the first run
   * that failed; nothing of the batch is written then.
   */
  createRuns(runs: readonly NewRun[], nowMs: number): Promise<CreatedRun[]>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Runs matching the filter, newest first, one page (`limit`, default 100; next page with `before`). */
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** Every queued or running run of every pipeline, oldest first (created, then id): the scheduler's work. */
  listActiveRuns(): Promise<RunRecord[]>;
  /**
   * Runs of the pipeline that count against its `maxActiveRuns`: those in state `running`, of any trigger.
   * Queued runs are waiting for such a slot and are not counted; the scheduler starts one when the count
   * is below the limit.
   */
  countActiveRuns(pipelineId: string): Promise<number>;
  /** The latest logical date of the pipeline's scheduled runs (trigger `scheduled`); null before the first. */
  latestScheduledLogicalDate(pipelineId: string): Promise<number | null>;
  /**
   * Every run of the pipeline (any trigger, any state) with a logical date in [fromMs, toMs], both inclusive,
   * ordered by logical date, then creation: the existing runs a backfill plan is matched against.
   */
  runsByLogicalDate(pipelineId: string, fromMs: number, toMs: number): Promise<RunAtLogicalDate[]>;
  /** Sets the owner of the runs that have none, in one transaction; returns the ids it set. */
  claimUnownedRuns(runIds: readonly string[], owner: string): Promise<string[]>;
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
   * With a `fence`, nothing commits (`scheduler_fenced` is thrown) unless its owner still holds its lease.
   */
  applyDecisions(decisions: readonly Decision[], fence?: LeaseFence): Promise<ApplyResult>;

  /**
   * Creates a backfill in state `running` together with its runs, in ONE transaction, so a crash never
   * leaves a backfill without its runs. Each run is tagged with the backfill's id (its `backfillId` is
   * overwritten). Throws `backfill_invalid` (bad range, concurrency, reprocess or total), `pipeline_unknown`,
   * `backfill_conflict` (the id exists), and the errors of `createRuns`; nothing is written then.
   */
  createBackfill(backfill: NewBackfill, runs: readonly NewRun[], nowMs: number): Promise<{ backfill: BackfillRecord; runs: CreatedRun[] }>;
  getBackfill(backfillId: string): Promise<BackfillRecord | null>;
  /** Newest first (created, then id). */
  listBackfills(filter?: BackfillFilter): Promise<BackfillRecord[]>;
  /**
   * Moves a backfill from `expectedFrom` to `to`; false (and nothing changed) when it is not in `expectedFrom`
   * or unknown. `endedMs` is set to nowMs in success, failed or canceled, and cleared in running.
   */
  setBackfillState(backfillId: string, to: BackfillState, expectedFrom: BackfillState, nowMs: number): Promise<boolean>;

  /**
   * Creates or updates a pool. Slots are an integer ≥ 0 and the name an id (`^[A-Za-z0-9_.-]{1,250}$`), else
   * `pool_invalid` and nothing changes. Returns the pool as stored.
   */
  setPool(pool: PoolInput, nowMs: number): Promise<PoolRecord>;
  getPool(name: string): Promise<PoolRecord | null>;
  /** By name. The `default` pool is always there after `migrate`. */
  listPools(): Promise<PoolRecord[]>;

  /**
   * Takes the named lease for `owner` until nowMs + ttlMs, atomically: when nobody holds it, when it expired
   * (nowMs ≥ expiresMs), or when `owner` already holds it (then it is extended). False when another owner
   * holds it. `lease_invalid` for a ttl that is not a positive integer. Times are the caller's clock (on
   * SQLite the single scheduler's; Postgres will use the database's).
   */
  acquireLease(name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  /**
   * Extends the lease to nowMs + ttlMs if `owner` holds it and it has not expired. False otherwise, even when
   * the expired lease was not taken by anyone: the owner lost continuity and must `acquireLease` again.
   */
  renewLease(name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  /**
   * Extends the lease to nowMs + ttlMs while `owner` still holds its row, expired or not: false once another
   * owner took it over or it was released (the owner was fenced off). Unlike `renewLease`, a late renewal
   * that nobody overtook keeps the lease (a scheduler's commits are fenced by ownership, not by time).
   */
  extendLease(name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it (expired or not); does nothing otherwise. */
  releaseLease(name: string, owner: string): Promise<void>;
  /** The lease's current row, expired or not (for messages: who holds the scheduler lease, until when). */
  getLease(name: string): Promise<LeaseRecord | null>;

  /** Encoded outputs of the successful tries of these tasks (map index -1) in a run, by task id. */
  getOutputs(runId: string, taskIds: readonly string[]): Promise<Map<string, string>>;
  /** Encoded outputs of the successful tries of a mapped task's instances (map index ≥ 0, or only `mapIndex`) in a run, by map index. */
  getMappedOutputs(runId: string, taskId: string, mapIndex?: number): Promise<Map<number, string>>;

  /** Records a command for a run that a scheduler in another process drives (`weir server`), pending. */
  submitRunRequest(request: { id: string; runId: string; event: EngineEvent }, nowMs: number): Promise<void>;
  /** Requests not yet taken, oldest first. */
  pendingRunRequests(limit: number): Promise<RunRequestRecord[]>;
  getRunRequest(id: string): Promise<RunRequestRecord | null>;
  /** Records a request's outcome; false when it was already finished. */
  finishRunRequest(id: string, state: "done" | "refused", message: string | null, nowMs: number): Promise<boolean>;

  /** Notifications decided but not yet delivered (the outbox), oldest first. */
  pendingNotifications(limit: number): Promise<OutboxRecord[]>;
  /** Records a notification's delivery (or its final failure, with the error); pending ones are redelivered after a crash. */
  markNotificationDone(id: string, nowMs: number, attempts: number, error: string | null): Promise<void>;
  /** Writes the run's one `deadline_missed` notification to the outbox; false (and nothing written) when it already has one. */
  recordDeadlineMissed(runId: string, notifiers: readonly string[], deadline: DeadlineMissed, nowMs: number): Promise<boolean>;

  /** The newest successful try computed under `cacheKey` that ended at or after `notBeforeMs` (docs/caching.md). */
  findCachedTry(cacheKey: string, notBeforeMs: number): Promise<CachedTry | null>;
  /** `weir run --no-cache`: the run's tasks never reuse a cached result. */
  setRunNoCache(runId: string, noCache: boolean): Promise<void>;
  isRunNoCache(runId: string): Promise<boolean>;
  /** Artifacts referenced only by runs created before `createdBeforeMs` (docs/artifacts.md). */
  prunableArtifacts(createdBeforeMs: number): Promise<PrunableArtifact[]>;
  /** Drops the references to an artifact (after its object was deleted). */
  forgetArtifact(digest: string): Promise<void>;
  referencedArtifacts(): Promise<Set<string>>;
  /** Records that a sub-pipeline task's try started a run. */
  linkSubRun(link: SubRunLink): Promise<void>;
  listSubRuns(parentRunId: string): Promise<SubRunLink[]>;
  getParentRun(childRunId: string): Promise<SubRunLink | null>;
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

// ------------------------------------------------ read-only queries of the API and the UI (read-queries.ts)

export interface InstanceFilter {
  runId: string;
  /** Any of these states; empty or absent: all. */
  states?: readonly TaskState[];
  taskId?: string;
}

export interface InstancePageQuery extends InstanceFilter {
  /** Keyset cursor: the last instance of the previous page. */
  after?: { taskId: string; mapIndex: number };
  limit: number;
  /**
   * Task ids in the order to list them (the run's topological order), then by map index; instances of tasks
   * not listed are left out. Without it (or with `taskId`): by task id then map index.
   */
  taskOrder?: readonly string[];
}

export interface TaskStateCount {
  taskId: string;
  state: TaskState;
  count: number;
}

export interface TryTimes {
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  state: TryState;
  queuedMs: number;
  startedMs: number | null;
  endedMs: number | null;
}

export interface ActiveInstanceCount {
  pipelineId: string;
  version: string;
  taskId: string;
  state: TaskState;
  count: number;
}

/** A pipeline without its graph: read the graph by (id, version), which never changes. */
export type PipelineHead = Omit<PipelineRecord, "graph">;

export interface ReadQueries {
  /** Every pipeline, by id, without graphs. */
  pipelineHeads(): Promise<PipelineHead[]>;
  pipelineHead(pipelineId: string): Promise<PipelineHead | null>;
  /** One page of a run's instances, ordered by task id then map index. */
  listInstancesPage(query: InstancePageQuery): Promise<TaskInstanceRecord[]>;
  countInstances(filter: InstanceFilter): Promise<number>;
  /** A run's instances counted by task and state. */
  instanceCounts(runId: string): Promise<TaskStateCount[]>;
  /** Several runs' instances counted by task and state, by run id. */
  instanceCountsOfRuns(runIds: readonly string[]): Promise<Map<string, TaskStateCount[]>>;
  runCountsByState(): Promise<Map<RunState, number>>;
  tryCountsByState(): Promise<Map<TryState, number>>;
  /** Runs of these backfills counted by state, by backfill id. */
  backfillRunCounts(backfillIds: readonly string[]): Promise<Map<string, Map<RunState, number>>>;
  /** Instances scheduled, queued or running in running runs, by pipeline version and task. */
  activeInstanceCounts(): Promise<ActiveInstanceCount[]>;
  /** The run's tries with their times, at most `limit`, oldest queued first. */
  runTryTimes(runId: string, limit: number): Promise<TryTimes[]>;
}
