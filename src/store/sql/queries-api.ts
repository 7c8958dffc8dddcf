// SQL of the read-only queries the HTTP API and the web UI need beyond the scheduler's verbs: pages of a
// run's task instances, counts by state (runs, tries, instances of a run, a grid of runs × tasks), a
// backfill's runs by state. Plain shared SQL with `?` placeholders, as every file of src/store/sql/.

const INSTANCE_COLUMNS = "run_id, task_id, map_index, state, try_number, retry_base, map_shape, cached, retry_at_ms, started_ms, ended_ms";

/** A run's instances matching the filter, after a (task, map index) keyset cursor, in primary-key order. */
export function listInstancesPageSql(query: {
  runId: string;
  states?: readonly string[] | undefined;
  taskId?: string | undefined;
  after?: { taskId: string; mapIndex: number } | undefined;
  limit: number;
}): { sql: string; params: (string | number)[] } {
  const { where, params } = instanceWhere(query);
  if (query.after !== undefined) {
    where.push("(task_id > ? OR (task_id = ? AND map_index > ?))");
    params.push(query.after.taskId, query.after.taskId, query.after.mapIndex);
  }
  params.push(query.limit);
  return { sql: `SELECT ${INSTANCE_COLUMNS} FROM task_instances WHERE ${where.join(" AND ")} ORDER BY task_id, map_index LIMIT ?`, params };
}

/**
 * A run's instances of the tasks `taskIds` matching the filter, in the order of `taskIds` then by map index,
 * after map index `afterMapIndex` of the first of them. The rank is a CASE over the (bounded) list, so the
 * same SQL runs on SQLite and Postgres.
 */
export function listInstancesOfTasksSql(query: {
  runId: string;
  states?: readonly string[] | undefined;
  taskIds: readonly string[];
  afterMapIndex?: number | undefined;
  limit: number;
}): { sql: string; params: (string | number)[] } {
  const { where, params } = instanceWhere(query);
  where.push(`task_id IN (${query.taskIds.map(() => "?").join(", ")})`);
  params.push(...query.taskIds);
  if (query.afterMapIndex !== undefined) {
    where.push("(task_id <> ? OR map_index > ?)");
    params.push(query.taskIds[0] ?? "", query.afterMapIndex);
  }
  const rank = `CASE task_id ${query.taskIds.map((_, i) => `WHEN ? THEN ${i}`).join(" ")} END`;
  params.push(...query.taskIds, query.limit);
  return { sql: `SELECT ${INSTANCE_COLUMNS} FROM task_instances WHERE ${where.join(" AND ")} ORDER BY ${rank}, map_index LIMIT ?`, params };
}

/** How many of a run's instances match the filter (the page's total). */
export function countInstancesSql(query: { runId: string; states?: readonly string[] | undefined; taskId?: string | undefined }): {
  sql: string;
  params: (string | number)[];
} {
  const { where, params } = instanceWhere(query);
  return { sql: `SELECT COUNT(*) AS n FROM task_instances WHERE ${where.join(" AND ")}`, params };
}

function instanceWhere(query: { runId: string; states?: readonly string[] | undefined; taskId?: string | undefined }): { where: string[]; params: (string | number)[] } {
  const where = ["run_id = ?"];
  const params: (string | number)[] = [query.runId];
  if (query.taskId !== undefined) {
    where.push("task_id = ?");
    params.push(query.taskId);
  }
  if (query.states !== undefined && query.states.length > 0) {
    where.push(`state IN (${query.states.map(() => "?").join(", ")})`);
    params.push(...query.states);
  }
  return { where, params };
}

/** Instances of one run by task and state: a mapped task with 10,000 instances is a handful of rows. */
export const INSTANCE_COUNTS_OF_RUN = `
SELECT task_id, state, COUNT(*) AS n FROM task_instances WHERE run_id = ? GROUP BY task_id, state`;

/** Instances of several runs by task and state (the grid view); `count` placeholders. */
export function instanceCountsOfRunsSql(count: number): string {
  const list = Array.from({ length: count }, () => "?").join(", ");
  return `SELECT run_id, task_id, state, COUNT(*) AS n FROM task_instances WHERE run_id IN (${list}) GROUP BY run_id, task_id, state`;
}

/** Runs by state, over every pipeline (metrics). */
export const RUN_COUNTS_BY_STATE = `SELECT state, COUNT(*) AS n FROM runs GROUP BY state`;

/** Tries by state (metrics). */
export const TRY_COUNTS_BY_STATE = `SELECT state, COUNT(*) AS n FROM tries GROUP BY state`;

/** Runs of several backfills by state; `count` placeholders (index runs_backfill_state). */
export function backfillRunCountsSql(count: number): string {
  const list = Array.from({ length: count }, () => "?").join(", ");
  return `SELECT backfill_id, state, COUNT(*) AS n FROM runs WHERE backfill_id IN (${list}) GROUP BY backfill_id, state`;
}

/** Instances holding or waiting for a pool slot in running runs, by run version and task (pool usage). */
export const ACTIVE_INSTANCE_COUNTS = `
SELECT r.pipeline_id, r.version, i.task_id, i.state, COUNT(*) AS n
FROM task_instances i JOIN runs r ON r.id = i.run_id
WHERE r.state = 'running' AND i.state IN ('scheduled', 'queued', 'running')
GROUP BY r.pipeline_id, r.version, i.task_id, i.state`;

/** Every try of a run with its times (the Gantt chart): no error or output columns. */
export const RUN_TRY_TIMES = `
SELECT task_id, map_index, try_number, state, queued_ms, started_ms, ended_ms FROM tries WHERE run_id = ?
ORDER BY queued_ms, task_id, map_index, try_number LIMIT ?`;

/** Pipelines without their graphs (the API caches graphs by version: immutable, and large ones cost to parse). */
export const LIST_PIPELINE_HEADS = `SELECT id, version, file, paused, updated_ms FROM pipelines ORDER BY id`;
export const GET_PIPELINE_HEAD = `SELECT id, version, file, paused, updated_ms FROM pipelines WHERE id = ?`;
