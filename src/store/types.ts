// The Store contract: domain verbs and the records they read and write. No connection, transaction or SQL
// type appears here (BullMQ's IQueueBackend), so the SQLite and Postgres dialects serve one interface.
// The records live in *-types.ts files by aggregate and are re-exported here, so `store/types.js` stays the
// one import for the whole contract.
import type { Decision, EngineEvent } from "../engine/types.js";
import type { PipelineGraph } from "../graph/types.js";
import type { BackfillFilter, BackfillRecord, BackfillState, NewBackfill } from "./backfill-types.js";
import type { CachedTry, PrunableArtifact, SubRunLink } from "./cache-types.js";
import type { EventStore } from "./event-types.js";
import type { LeaseFence, LeaseRecord } from "./lease-types.js";
import type { DeadlineMissed, OutboxRecord } from "./outbox-types.js";
import type { MigrateOptions, PoolInput, PoolRecord } from "./pool-types.js";
import type { ReadQueries } from "./read-types.js";
import type { ApplyResult, CreatedRun, NewRun, PipelineRecord, RunAtLogicalDate, RunFilter, RunRecord, RunRequestRecord, TaskInstanceRecord, TryRecord } from "./run-types.js";
import type { SensorStore } from "./sensor-types.js";

export type { CachedTry, PrunableArtifact, SubRunLink };
export type { EventDelivery, EventFilter, EventOutcome, EventRecord, NewDelivery, NewEvent } from "./event-types.js";
export type * from "./run-types.js";
export type * from "./backfill-types.js";
export type * from "./pool-types.js";
export type * from "./lease-types.js";
export type * from "./outbox-types.js";
export type * from "./read-types.js";

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
   * that failed; nothing of the batch is written then. With a `fence`, nothing is written (`scheduler_fenced`
   * is thrown) unless its owner still holds its lease: a scheduler taken over creates no runs.
   */
  createRuns(runs: readonly NewRun[], nowMs: number, fence?: LeaseFence): Promise<CreatedRun[]>;
  /**
   * Told by a scheduler gone idle after a burst of work: SQLite copies its write-ahead log into the database
   * now (a passive checkpoint: it waits for no reader or writer), rather than in a commit of the next burst
   * once the log is long enough. Postgres: nothing to do.
   */
  checkpoint(): Promise<void>;
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
