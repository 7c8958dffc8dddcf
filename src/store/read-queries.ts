// Read-only queries for the HTTP API and the web UI: pages and counts that stay cheap on a run with
// 100,000 task instances (GROUP BY and keyset pages, never a whole run in memory). The scheduler's verbs
// stay in the Store contract; these are reached as `store.reads` (their types are in types.ts).
import type { RunState, TaskState, TryState } from "../engine/states.js";
import type { SqlSession } from "./dialect.js";
import { toCount, toInstanceRecord, toNumberOrNull, type InstanceRow } from "./records.js";
import {
  ACTIVE_INSTANCE_COUNTS,
  backfillRunCountsSql,
  countInstancesSql,
  GET_PIPELINE_HEAD,
  LIST_PIPELINE_HEADS,
  INSTANCE_COUNTS_OF_RUN,
  instanceCountsOfRunsSql,
  listInstancesOfTasksSql,
  listInstancesPageSql,
  RUN_COUNTS_BY_STATE,
  RUN_TRY_TIMES,
  TRY_COUNTS_BY_STATE,
} from "./sql/queries-api.js";
import type { PipelineHead, ActiveInstanceCount, InstanceFilter, InstancePageQuery, ReadQueries, TaskInstanceRecord, TaskStateCount, TryTimes } from "./types.js";

interface HeadRow extends Record<string, unknown> {
  id: string;
  version: string;
  file: string;
  paused: unknown;
  updated_ms: unknown;
}

function toHead(row: HeadRow): PipelineHead {
  return { id: row.id, version: row.version, file: row.file, paused: Number(row.paused) !== 0, updatedMs: Number(row.updated_ms) };
}

/** Ids per IN (…) list: far below SQLite's and Postgres's parameter caps. */
const IN_CHUNK = 500;
/** Tasks per query of a page in task order: the first chunk, and the most it grows to past tasks with no match. */
const ORDER_CHUNK_FIRST = 200;
const ORDER_CHUNK_MAX = 4000;

export class SqlReadQueries implements ReadQueries {
  constructor(private readonly session: SqlSession) {}

  async pipelineHeads(): Promise<PipelineHead[]> {
    return (await this.session.all<HeadRow>(LIST_PIPELINE_HEADS)).map(toHead);
  }

  async pipelineHead(pipelineId: string): Promise<PipelineHead | null> {
    const row = await this.session.get<HeadRow>(GET_PIPELINE_HEAD, [pipelineId]);
    return row === undefined ? null : toHead(row);
  }

  async listInstancesPage(query: InstancePageQuery): Promise<TaskInstanceRecord[]> {
    if (query.taskOrder !== undefined && query.taskId === undefined) return this.instancesInTaskOrder(query, query.taskOrder);
    const { sql, params } = listInstancesPageSql(query);
    return (await this.session.all<InstanceRow>(sql, params)).map(toInstanceRecord);
  }

  /**
   * A page in the given task order: walks the order a chunk of tasks at a time from the cursor's task (a
   * keyset page: no offset, so a page costs the same at the end of 100,000 tasks as at the start).
   */
  private async instancesInTaskOrder(query: InstancePageQuery, order: readonly string[]): Promise<TaskInstanceRecord[]> {
    let start = 0;
    let afterMapIndex: number | undefined;
    if (query.after !== undefined) {
      start = order.indexOf(query.after.taskId);
      if (start < 0) return [];
      afterMapIndex = query.after.mapIndex;
    }
    const rows: TaskInstanceRecord[] = [];
    let chunk = ORDER_CHUNK_FIRST;
    while (start < order.length && rows.length < query.limit) {
      const taskIds = order.slice(start, start + chunk);
      const { sql, params } = listInstancesOfTasksSql({ runId: query.runId, states: query.states, taskIds, afterMapIndex, limit: query.limit - rows.length });
      const found = (await this.session.all<InstanceRow>(sql, params)).map(toInstanceRecord);
      rows.push(...found);
      start += taskIds.length;
      afterMapIndex = undefined;
      // Past tasks with nothing to list (a state filter on a huge run), look further at once.
      if (found.length === 0) chunk = Math.min(ORDER_CHUNK_MAX, chunk * 2);
    }
    return rows;
  }

  async countInstances(filter: InstanceFilter): Promise<number> {
    const { sql, params } = countInstancesSql(filter);
    return toCount((await this.session.get<{ n: unknown }>(sql, params))?.n);
  }

  async instanceCounts(runId: string): Promise<TaskStateCount[]> {
    const rows = await this.session.all<{ task_id: string; state: string; n: unknown }>(INSTANCE_COUNTS_OF_RUN, [runId]);
    return rows.map((r) => ({ taskId: r.task_id, state: r.state as TaskState, count: toCount(r.n) }));
  }

  async instanceCountsOfRuns(runIds: readonly string[]): Promise<Map<string, TaskStateCount[]>> {
    const byRun = new Map<string, TaskStateCount[]>(runIds.map((id) => [id, []]));
    for (let start = 0; start < runIds.length; start += IN_CHUNK) {
      const chunk = runIds.slice(start, start + IN_CHUNK);
      const rows = await this.session.all<{ run_id: string; task_id: string; state: string; n: unknown }>(instanceCountsOfRunsSql(chunk.length), chunk);
      for (const r of rows) byRun.get(r.run_id)?.push({ taskId: r.task_id, state: r.state as TaskState, count: toCount(r.n) });
    }
    return byRun;
  }

  async runCountsByState(): Promise<Map<RunState, number>> {
    const rows = await this.session.all<{ state: string; n: unknown }>(RUN_COUNTS_BY_STATE);
    return new Map(rows.map((r) => [r.state as RunState, toCount(r.n)]));
  }

  async tryCountsByState(): Promise<Map<TryState, number>> {
    const rows = await this.session.all<{ state: string; n: unknown }>(TRY_COUNTS_BY_STATE);
    return new Map(rows.map((r) => [r.state as TryState, toCount(r.n)]));
  }

  async backfillRunCounts(backfillIds: readonly string[]): Promise<Map<string, Map<RunState, number>>> {
    const result = new Map<string, Map<RunState, number>>(backfillIds.map((id) => [id, new Map()]));
    for (let start = 0; start < backfillIds.length; start += IN_CHUNK) {
      const chunk = backfillIds.slice(start, start + IN_CHUNK);
      const rows = await this.session.all<{ backfill_id: string; state: string; n: unknown }>(backfillRunCountsSql(chunk.length), chunk);
      for (const r of rows) result.get(r.backfill_id)?.set(r.state as RunState, toCount(r.n));
    }
    return result;
  }

  async activeInstanceCounts(): Promise<ActiveInstanceCount[]> {
    const rows = await this.session.all<{ pipeline_id: string; version: string; task_id: string; state: string; n: unknown }>(ACTIVE_INSTANCE_COUNTS);
    return rows.map((r) => ({ pipelineId: r.pipeline_id, version: r.version, taskId: r.task_id, state: r.state as TaskState, count: toCount(r.n) }));
  }

  async runTryTimes(runId: string, limit: number): Promise<TryTimes[]> {
    const rows = await this.session.all<{ task_id: string; map_index: unknown; try_number: unknown; state: string; queued_ms: unknown; started_ms: unknown; ended_ms: unknown }>(RUN_TRY_TIMES, [runId, limit]);
    return rows.map((r) => ({
      taskId: r.task_id,
      mapIndex: Number(r.map_index),
      tryNumber: Number(r.try_number),
      state: r.state as TryState,
      queuedMs: Number(r.queued_ms),
      startedMs: toNumberOrNull(r.started_ms),
      endedMs: toNumberOrNull(r.ended_ms),
    }));
  }
}
