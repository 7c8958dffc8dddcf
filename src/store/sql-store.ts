// The one Store implementation: domain verbs written once in shared SQL over a Dialect (SQLite now, Postgres
// later). Nothing here knows which database it talks to; dialect differences live in src/store/<dialect>/.
import type { RunState } from "../engine/states.js";
import type { Decision, EngineEvent } from "../engine/types.js";
import type { PipelineGraph } from "../graph/types.js";
import { applyDecisionBatch } from "./apply-decisions.js";
import { transactionWithBatchedWrites } from "./batched-writes.js";
import * as backfills from "./backfills.js";
import * as cacheArtifacts from "./cache-artifacts.js";
import type { CachedTry, PrunableArtifact, SubRunLink } from "./cache-types.js";
import { INSERT_CHUNK_ROWS, insertRuns } from "./create-runs.js";
import type { Dialect } from "./dialect.js";
import type { EventStore } from "./event-types.js";
import { SqlEvents } from "./events.js";
import { SqlSensors } from "./sensors.js";
import { SqlDistributed } from "./distributed.js";
import type { DistributedStore } from "./distributed-types.js";
import { SqlSharedArtifacts, type SharedArtifactStore } from "./shared-artifacts.js";
import type { SensorStore } from "./sensor-types.js";
import * as leases from "./leases.js";
import { checkSchema, migrateSchema, type MigrationReport } from "./migrate.js";
import * as outbox from "./outbox.js";
import * as pools from "./pools.js";
import { SqlReadQueries } from "./read-queries.js";
import * as runRequests from "./run-requests.js";
import {
  parseGraph,
  serializeGraph,
  toCount,
  toInstanceRecord,
  toPipelineRecord,
  toRunRecord,
  toNumberOrNull,
  toTryRecord,
  type InstanceRow,
  type PipelineRow,
  type RunRow,
  type TryRow,
} from "./records.js";
import { LIST_INSTANCES } from "./sql/instances.js";
import {
  GET_PIPELINE,
  GET_PIPELINE_VERSION,
  INSERT_PIPELINE_VERSION,
  LIST_PAUSED_PIPELINE_IDS,
  LIST_PIPELINES,
  SET_PIPELINE_PAUSED,
  UPSERT_PIPELINE,
} from "./sql/pipelines.js";
import {
  COUNT_RUNNING_RUNS,
  GET_RUN,
  LATEST_SCHEDULED_LOGICAL_DATE,
  LIST_ACTIVE_RUNS,
  listRunsSql,
  RUNS_BY_LOGICAL_DATE,
  claimUnownedRunsSql,
  SET_RUN_OWNER_IF_OWNED_BY,
  SET_RUN_OWNER_IF_UNOWNED,
} from "./sql/runs.js";
import { GET_MAPPED_OUTPUT, GET_MAPPED_OUTPUTS, getOutputsSql, LIST_INSTANCE_TRIES, LIST_RUN_TRIES, LIST_TASK_TRIES } from "./sql/tries.js";
import type {
  ReadQueries,
  RunRequestRecord,
  OutboxRecord,
  DeadlineMissed,
  ApplyResult,
  BackfillFilter,
  BackfillRecord,
  BackfillState,
  CreatedRun,
  LeaseFence,
  LeaseRecord,
  MigrateOptions,
  NewBackfill,
  NewRun,
  PipelineRecord,
  PoolInput,
  PoolRecord,
  RunAtLogicalDate,
  RunFilter,
  RunRecord,
  Store,
  TaskInstanceRecord,
  TryRecord,
} from "./types.js";

const DEFAULT_RUN_LIMIT = 100;

export class SqlStore implements Store {
  readonly dialect: "sqlite" | "postgres";
  readonly reads: ReadQueries;
  readonly events: EventStore<NewRun, RunRecord>;
  /** The sensor hand-off between the scheduler and the trigger loop (docs/adr/0007). */
  readonly sensors: SensorStore;
  /** Workers, the try queue and remote logs (docs/distributed.md); only on SqlStore, not part of Store. */
  readonly distributed: DistributedStore;
  /** Large outputs shared with `weir worker`s on other machines (docs/distributed.md); only on SqlStore. */
  readonly sharedArtifacts: SharedArtifactStore;

  /**
   * `autoMigrate: false` (WEIR_AUTO_MIGRATE=0): `migrate()` only checks that the schema is current and fails
   * with `store_outdated` otherwise; `weir db migrate` opens the store with it on.
   */
  constructor(
    private readonly db: Dialect,
    private readonly options: { autoMigrate?: boolean } = {},
  ) {
    this.dialect = db.name;
    this.reads = new SqlReadQueries(db.session);
    this.events = new SqlEvents(db);
    this.sensors = new SqlSensors(db);
    this.distributed = new SqlDistributed(db);
    this.sharedArtifacts = new SqlSharedArtifacts(db);
  }

  /** Where the store keeps its data, for messages: `SQLite database /path/weir.db`. */
  describe(): string {
    return `${this.db.name === "sqlite" ? "SQLite" : "Postgres"} database ${this.db.location}`;
  }

  async migrate(options: MigrateOptions = {}): Promise<void> {
    const defaultPoolSlots = options.defaultPoolSlots ?? pools.defaultPoolSlotsFromEnv();
    pools.validatePoolSlots(pools.DEFAULT_POOL_NAME, defaultPoolSlots);
    if (this.options.autoMigrate === false) await checkSchema(this.db);
    else await migrateSchema(this.db, Date.now(), defaultPoolSlots);
  }

  /** Applies the missing migrations whatever `autoMigrate` says (`weir db migrate`), and reports what it did. */
  async migrateNow(options: MigrateOptions = {}): Promise<MigrationReport> {
    const defaultPoolSlots = options.defaultPoolSlots ?? pools.defaultPoolSlotsFromEnv();
    pools.validatePoolSlots(pools.DEFAULT_POOL_NAME, defaultPoolSlots);
    return migrateSchema(this.db, Date.now(), defaultPoolSlots);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async savePipelineVersion(graph: PipelineGraph, nowMs: number): Promise<void> {
    const graphJson = serializeGraph(graph);
    await this.db.transaction(async (tx) => {
      await tx.run(UPSERT_PIPELINE, [graph.id, graph.version, graph.file, nowMs]);
      await tx.run(INSERT_PIPELINE_VERSION, [graph.id, graph.version, graphJson, graph.file, nowMs]);
    });
  }

  async getPipeline(pipelineId: string): Promise<PipelineRecord | null> {
    const row = await this.db.session.get<PipelineRow>(GET_PIPELINE, [pipelineId]);
    return row === undefined ? null : toPipelineRecord(row);
  }

  async getPipelineVersion(pipelineId: string, version: string): Promise<PipelineGraph | null> {
    const row = await this.db.session.get<{ graph_json: string }>(GET_PIPELINE_VERSION, [pipelineId, version]);
    return row === undefined ? null : parseGraph(row.graph_json);
  }

  async listPipelines(): Promise<PipelineRecord[]> {
    const rows = await this.db.session.all<PipelineRow>(LIST_PIPELINES);
    return rows.map(toPipelineRecord);
  }

  async pausedPipelineIds(): Promise<string[]> {
    const rows = await this.db.session.all<{ id: string }>(LIST_PAUSED_PIPELINE_IDS);
    return rows.map((r) => r.id);
  }

  async setPaused(pipelineId: string, paused: boolean): Promise<boolean> {
    return (await this.db.session.run(SET_PIPELINE_PAUSED, [paused ? 1 : 0, pipelineId])) > 0;
  }

  async createRun(run: NewRun, nowMs: number): Promise<{ created: boolean; run: RunRecord }> {
    return transactionWithBatchedWrites(this.db, async (tx) => {
      const [result] = await insertRuns(this.db, tx, [run], nowMs);
      const row = await tx.get<RunRow>(GET_RUN, [result!.id]);
      if (row === undefined) throw new Error(`run ${result!.id} vanished inside its own transaction`);
      return { created: result!.created, run: toRunRecord(row) };
    });
  }

  async createRuns(runs: readonly NewRun[], nowMs: number, fence?: LeaseFence): Promise<CreatedRun[]> {
    if (runs.length === 0) return [];
    return transactionWithBatchedWrites(this.db, (tx) => insertRuns(this.db, tx, runs, nowMs, undefined, fence));
  }

  async checkpoint(): Promise<void> {
    if (this.db.name === "sqlite") await this.db.session.all("PRAGMA wal_checkpoint(PASSIVE)");
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const row = await this.db.session.get<RunRow>(GET_RUN, [runId]);
    return row === undefined ? null : toRunRecord(row);
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const { sql, params } = listRunsSql({
      pipelineId: filter.pipelineId,
      states: filter.states,
      trigger: filter.trigger,
      backfillId: filter.backfillId,
      logicalDateFromMs: filter.logicalDateFromMs,
      logicalDateToMs: filter.logicalDateToMs,
      before: filter.before,
      limit: filter.limit ?? DEFAULT_RUN_LIMIT,
    });
    const rows = await this.db.session.all<RunRow>(sql, params);
    return rows.map(toRunRecord);
  }

  async listActiveRuns(): Promise<RunRecord[]> {
    const rows = await this.db.session.all<RunRow>(LIST_ACTIVE_RUNS);
    return rows.map(toRunRecord);
  }

  async countActiveRuns(pipelineId: string): Promise<number> {
    const row = await this.db.session.get<{ n: unknown }>(COUNT_RUNNING_RUNS, [pipelineId]);
    return toCount(row?.n);
  }

  async latestScheduledLogicalDate(pipelineId: string): Promise<number | null> {
    const row = await this.db.session.get<{ logical_date_ms: unknown }>(LATEST_SCHEDULED_LOGICAL_DATE, [pipelineId]);
    return toNumberOrNull(row?.logical_date_ms);
  }

  async runsByLogicalDate(pipelineId: string, fromMs: number, toMs: number): Promise<RunAtLogicalDate[]> {
    const rows = await this.db.session.all<{ logical_date_ms: unknown; state: string; id: string }>(RUNS_BY_LOGICAL_DATE, [
      pipelineId,
      fromMs,
      toMs,
    ]);
    return rows.map((row) => ({ logicalDateMs: Number(row.logical_date_ms), state: row.state as RunState, id: row.id }));
  }

  async claimUnownedRuns(runIds: readonly string[], owner: string): Promise<string[]> {
    if (runIds.length === 0) return [];
    // One set-based statement per chunk (a round trip each on Postgres), in one transaction: all or nothing.
    return this.db.transaction(async (tx) => {
      const claimed: string[] = [];
      for (let start = 0; start < runIds.length; start += INSERT_CHUNK_ROWS) {
        const chunk = runIds.slice(start, start + INSERT_CHUNK_ROWS);
        const rows = await tx.all<{ id: string }>(claimUnownedRunsSql(chunk.length), [owner, ...chunk]);
        for (const row of rows) claimed.push(row.id);
      }
      return claimed;
    });
  }

  async setRunOwner(runId: string, owner: string | null, expected: string | null): Promise<boolean> {
    const changed =
      expected === null
        ? await this.db.session.run(SET_RUN_OWNER_IF_UNOWNED, [owner, runId])
        : await this.db.session.run(SET_RUN_OWNER_IF_OWNED_BY, [owner, runId, expected]);
    return changed > 0;
  }

  async listTaskInstances(runId: string): Promise<TaskInstanceRecord[]> {
    const rows = await this.db.session.all<InstanceRow>(LIST_INSTANCES, [runId]);
    return rows.map(toInstanceRecord);
  }

  async listTries(runId: string, taskId?: string, mapIndex?: number): Promise<TryRecord[]> {
    let rows: TryRow[];
    if (taskId === undefined) rows = await this.db.session.all<TryRow>(LIST_RUN_TRIES, [runId]);
    else if (mapIndex === undefined) rows = await this.db.session.all<TryRow>(LIST_TASK_TRIES, [runId, taskId]);
    else rows = await this.db.session.all<TryRow>(LIST_INSTANCE_TRIES, [runId, taskId, mapIndex]);
    return rows.map(toTryRecord);
  }

  applyDecisions(decisions: readonly Decision[], fence?: LeaseFence): Promise<ApplyResult> {
    return applyDecisionBatch(this.db, decisions, fence);
  }

  createBackfill(
    backfill: NewBackfill,
    runs: readonly NewRun[],
    nowMs: number,
  ): Promise<{ backfill: BackfillRecord; runs: CreatedRun[] }> {
    return backfills.createBackfill(this.db, backfill, runs, nowMs);
  }

  getBackfill(backfillId: string): Promise<BackfillRecord | null> {
    return backfills.getBackfill(this.db.session, backfillId);
  }

  listBackfills(filter: BackfillFilter = {}): Promise<BackfillRecord[]> {
    return backfills.listBackfills(this.db.session, filter);
  }

  setBackfillState(backfillId: string, to: BackfillState, expectedFrom: BackfillState, nowMs: number): Promise<boolean> {
    return backfills.setBackfillState(this.db.session, backfillId, to, expectedFrom, nowMs);
  }

  setPool(pool: PoolInput, nowMs: number): Promise<PoolRecord> {
    return pools.setPool(this.db, pool, nowMs);
  }

  getPool(name: string): Promise<PoolRecord | null> {
    return pools.getPool(this.db.session, name);
  }

  submitRunRequest(request: { id: string; runId: string; event: EngineEvent }, nowMs: number): Promise<void> {
    return runRequests.submitRunRequest(this.db.session, request, nowMs);
  }

  pendingRunRequests(limit: number): Promise<RunRequestRecord[]> {
    return runRequests.pendingRunRequests(this.db.session, limit);
  }

  getRunRequest(id: string): Promise<RunRequestRecord | null> {
    return runRequests.getRunRequest(this.db.session, id);
  }

  finishRunRequest(id: string, state: "done" | "refused", message: string | null, nowMs: number): Promise<boolean> {
    return runRequests.finishRunRequest(this.db.session, id, state, message, nowMs);
  }

  pendingNotifications(limit: number): Promise<OutboxRecord[]> {
    return outbox.pendingNotifications(this.db.session, limit);
  }

  recordDeadlineMissed(runId: string, notifiers: readonly string[], deadline: DeadlineMissed, nowMs: number): Promise<boolean> {
    return outbox.recordDeadlineMissed(this.db.session, runId, notifiers, deadline, nowMs);
  }

  markNotificationDone(id: string, nowMs: number, attempts: number, error: string | null): Promise<void> {
    return outbox.markNotificationDone(this.db.session, id, nowMs, attempts, error);
  }

  listPools(): Promise<PoolRecord[]> {
    return pools.listPools(this.db.session);
  }

  acquireLease(name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    return leases.acquireLease(this.db, name, owner, nowMs, ttlMs);
  }

  renewLease(name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    return leases.renewLease(this.db, name, owner, nowMs, ttlMs);
  }

  extendLease(name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    return leases.extendLease(this.db, name, owner, nowMs, ttlMs);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return leases.releaseLease(this.db.session, name, owner);
  }

  getLease(name: string): Promise<LeaseRecord | null> {
    return leases.getLease(this.db.session, name);
  }

  async getOutputs(runId: string, taskIds: readonly string[]): Promise<Map<string, string>> {
    const outputs = new Map<string, string>();
    const unique = [...new Set(taskIds)];
    for (let start = 0; start < unique.length; start += INSERT_CHUNK_ROWS) {
      const chunk = unique.slice(start, start + INSERT_CHUNK_ROWS);
      const rows = await this.db.session.all<{ task_id: string; output: string }>(getOutputsSql(chunk.length), [runId, ...chunk]);
      // Ordered by try number: a later successful try (after a clear) overwrites an earlier one.
      for (const row of rows) outputs.set(row.task_id, row.output);
    }
    return outputs;
  }

  async getMappedOutputs(runId: string, taskId: string, mapIndex?: number): Promise<Map<number, string>> {
    const rows =
      mapIndex === undefined
        ? await this.db.session.all<{ map_index: number; output: string }>(GET_MAPPED_OUTPUTS, [runId, taskId])
        : await this.db.session.all<{ map_index: number; output: string }>(GET_MAPPED_OUTPUT, [runId, taskId, mapIndex]);
    const outputs = new Map<number, string>();
    for (const row of rows) outputs.set(Number(row.map_index), row.output);
    return outputs;
  }
  // Caching, artifacts and sub-pipeline links (cache-artifacts.ts).
  findCachedTry(cacheKey: string, notBeforeMs: number): Promise<CachedTry | null> {
    return cacheArtifacts.findCachedTry(this.db.session, cacheKey, notBeforeMs);
  }

  setRunNoCache(runId: string, noCache: boolean): Promise<void> {
    return cacheArtifacts.setRunNoCache(this.db.session, runId, noCache);
  }

  isRunNoCache(runId: string): Promise<boolean> {
    return cacheArtifacts.isRunNoCache(this.db.session, runId);
  }

  prunableArtifacts(createdBeforeMs: number): Promise<PrunableArtifact[]> {
    return cacheArtifacts.prunableArtifacts(this.db.session, createdBeforeMs);
  }

  forgetArtifact(digest: string): Promise<void> {
    return cacheArtifacts.forgetArtifact(this.db.session, digest);
  }

  referencedArtifacts(): Promise<Set<string>> {
    return cacheArtifacts.referencedArtifacts(this.db.session);
  }

  linkSubRun(link: SubRunLink): Promise<void> {
    return cacheArtifacts.linkSubRun(this.db.session, link);
  }

  listSubRuns(parentRunId: string): Promise<SubRunLink[]> {
    return cacheArtifacts.listSubRuns(this.db.session, parentRunId);
  }

  getParentRun(childRunId: string): Promise<SubRunLink | null> {
    return cacheArtifacts.getParentRun(this.db.session, childRunId);
  }
}
