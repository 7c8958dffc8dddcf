// The one Store implementation: domain verbs written once in shared SQL over a Dialect (SQLite now, Postgres
// later). Nothing here knows which database it talks to; dialect differences live in src/store/<dialect>/.
import { WeirError } from "../common/errors.js";
import type { Decision } from "../engine/types.js";
import type { PipelineGraph } from "../graph/types.js";
import { applyDecisionBatch } from "./apply-decisions.js";
import type { Dialect, SqlParam, SqlTransaction } from "./dialect.js";
import { migrateSchema } from "./migrate.js";
import {
  parseGraph,
  toInstanceRecord,
  toPipelineRecord,
  toRunRecord,
  toTryRecord,
  type InstanceRow,
  type PipelineRow,
  type RunRow,
  type TryRow,
} from "./records.js";
import { INSERT_PENDING_INSTANCES_PARAMS_PER_ROW, insertPendingInstancesSql, LIST_INSTANCES } from "./sql/instances.js";
import { GET_PIPELINE, GET_PIPELINE_VERSION, INSERT_PIPELINE_VERSION, LIST_PIPELINES, UPSERT_PIPELINE } from "./sql/pipelines.js";
import {
  GET_RUN,
  GET_SCHEDULED_RUN,
  INSERT_RUN,
  listRunsSql,
  SET_RUN_OWNER_IF_OWNED_BY,
  SET_RUN_OWNER_IF_UNOWNED,
} from "./sql/runs.js";
import { getOutputsSql, LIST_INSTANCE_TRIES, LIST_RUN_TRIES, LIST_TASK_TRIES } from "./sql/tries.js";
import type {
  ApplyResult,
  NewRun,
  PipelineRecord,
  RunFilter,
  RunRecord,
  Store,
  TaskInstanceRecord,
  TryRecord,
} from "./types.js";

const DEFAULT_RUN_LIMIT = 100;
/** Multi-row inserts stay well under any dialect's parameter cap and reuse one cached statement per size. */
const INSERT_CHUNK_ROWS = 500;

export class SqlStore implements Store {
  readonly dialect: "sqlite" | "postgres";

  constructor(private readonly db: Dialect) {
    this.dialect = db.name;
  }

  /** Where the store keeps its data, for messages: `SQLite database /path/weir.db`. */
  describe(): string {
    return `${this.db.name === "sqlite" ? "SQLite" : "Postgres"} database ${this.db.location}`;
  }

  async migrate(): Promise<void> {
    await migrateSchema(this.db, Date.now());
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async savePipelineVersion(graph: PipelineGraph, nowMs: number): Promise<void> {
    const graphJson = JSON.stringify(graph);
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

  async createRun(run: NewRun, nowMs: number): Promise<{ created: boolean; run: RunRecord }> {
    try {
      return await this.db.transaction(async (tx) => {
        const inserted = await tx.run(INSERT_RUN, [
          run.id,
          run.pipelineId,
          run.version,
          run.trigger,
          run.logicalDateMs,
          run.intervalStartMs,
          run.intervalEndMs,
          JSON.stringify(run.params),
          run.file,
          run.backfillId ?? null,
          run.owner ?? null,
          nowMs,
        ]);
        if (inserted === 0) {
          // Only the scheduled-run index has an ON CONFLICT clause: this (pipeline, logical date) already ran.
          const existing = await tx.get<RunRow>(GET_SCHEDULED_RUN, [run.pipelineId, run.logicalDateMs]);
          if (existing === undefined) throw new Error(`run ${run.id} was neither inserted nor found`);
          return { created: false, run: toRunRecord(existing) };
        }
        await insertPendingInstances(tx, run.id, run.taskIds);
        const created = await tx.get<RunRow>(GET_RUN, [run.id]);
        if (created === undefined) throw new Error(`run ${run.id} vanished inside its own transaction`);
        return { created: true, run: toRunRecord(created) };
      });
    } catch (error) {
      throw this.explainCreateRunError(run, error);
    }
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const row = await this.db.session.get<RunRow>(GET_RUN, [runId]);
    return row === undefined ? null : toRunRecord(row);
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const states = filter.states ?? [];
    const params: SqlParam[] = [];
    if (filter.pipelineId !== undefined) params.push(filter.pipelineId);
    params.push(...states, filter.limit ?? DEFAULT_RUN_LIMIT);
    // An empty `states` list means no filter, like an absent one.
    const rows = await this.db.session.all<RunRow>(listRunsSql(filter.pipelineId !== undefined, states.length), params);
    return rows.map(toRunRecord);
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

  applyDecisions(decisions: readonly Decision[]): Promise<ApplyResult> {
    return applyDecisionBatch(this.db, decisions);
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

  private explainCreateRunError(run: NewRun, error: unknown): unknown {
    const kind = this.db.classifyError(error);
    if (kind === "foreign_key_violation") {
      return new WeirError(
        "pipeline_version_unknown",
        `Cannot create run ${run.id}: pipeline ${run.pipelineId} version ${run.version} is not registered (save the pipeline version first).`,
        { where: { pipeline: run.pipelineId, run: run.id }, cause: error },
      );
    }
    if (kind === "unique_violation") {
      return new WeirError(
        "run_conflict",
        `Cannot create run ${run.id} of pipeline ${run.pipelineId}: a run with this id exists, or a task id is listed twice.`,
        { where: { pipeline: run.pipelineId, run: run.id }, cause: error },
      );
    }
    return error;
  }
}

async function insertPendingInstances(tx: SqlTransaction, runId: string, taskIds: readonly string[]): Promise<void> {
  for (let start = 0; start < taskIds.length; start += INSERT_CHUNK_ROWS) {
    const end = Math.min(start + INSERT_CHUNK_ROWS, taskIds.length);
    const params: SqlParam[] = new Array<SqlParam>((end - start) * INSERT_PENDING_INSTANCES_PARAMS_PER_ROW);
    let p = 0;
    for (let i = start; i < end; i++) {
      params[p++] = runId;
      params[p++] = taskIds[i]!;
    }
    await tx.run(insertPendingInstancesSql(end - start), params);
  }
}
