// SQL of the run aggregate. Writes to a run's state are guarded by the state they expect to find.

const RUN_COLUMNS = `id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms, started_ms, ended_ms`;

/** A scheduled run that exists for (pipeline, logical date) is not inserted again (partial unique index). */
export const INSERT_RUN = `
INSERT INTO runs (id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms)
VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled' DO NOTHING`;

/**
 * As INSERT_RUN, but `running` since started_ms (NewRun.started: the scheduler's due runs, inserted in the state
 * their first decision leaves them in, so that decision costs no second write of every row).
 */
export const INSERT_STARTED_RUN = `
INSERT INTO runs (id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms, started_ms)
VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled' DO NOTHING`;

export const GET_RUN = `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`;

export const GET_SCHEDULED_RUN = `
SELECT ${RUN_COLUMNS} FROM runs WHERE pipeline_id = ? AND logical_date_ms = ? AND trigger = 'scheduled'`;

/** The filter of listRuns as SQL sees it (the Store's RunFilter, minus defaults). */
export interface ListRunsQuery {
  pipelineId?: string | undefined;
  states?: readonly string[] | undefined;
  trigger?: string | undefined;
  backfillId?: string | undefined;
  logicalDateFromMs?: number | undefined;
  logicalDateToMs?: number | undefined;
  before?: { createdMs: number; logicalDateMs: number; id: string } | undefined;
  limit: number;
}

/**
 * Newest first (index runs_pipeline_created, runs_created, or runs_backfill_state for a backfill's runs);
 * ties broken by logical date, then id. `before` is a keyset cursor over exactly that order, compared as a
 * row value (SQLite ≥ 3.15 and Postgres both have them). Returns the statement and its parameters together
 * so their order can't drift apart.
 */
export function listRunsSql(query: ListRunsQuery): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.pipelineId !== undefined) {
    where.push("pipeline_id = ?");
    params.push(query.pipelineId);
  }
  if (query.states !== undefined && query.states.length > 0) {
    where.push(`state IN (${query.states.map(() => "?").join(", ")})`);
    params.push(...query.states);
  }
  if (query.trigger !== undefined) {
    where.push("trigger = ?");
    params.push(query.trigger);
  }
  if (query.backfillId !== undefined) {
    where.push("backfill_id = ?");
    params.push(query.backfillId);
  }
  if (query.logicalDateFromMs !== undefined) {
    where.push("logical_date_ms >= ?");
    params.push(query.logicalDateFromMs);
  }
  if (query.logicalDateToMs !== undefined) {
    where.push("logical_date_ms <= ?");
    params.push(query.logicalDateToMs);
  }
  if (query.before !== undefined) {
    where.push("(created_ms, logical_date_ms, id) < (?, ?, ?)");
    params.push(query.before.createdMs, query.before.logicalDateMs, query.before.id);
  }
  params.push(query.limit);
  const sql = `SELECT ${RUN_COLUMNS} FROM runs${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
ORDER BY created_ms DESC, logical_date_ms DESC, id DESC LIMIT ?`;
  return { sql, params };
}

/** The scheduler's work on start and after a reload: every unfinished run, oldest first (index runs_state_pipeline). */
export const LIST_ACTIVE_RUNS = `
SELECT ${RUN_COLUMNS} FROM runs WHERE state IN ('queued', 'running') ORDER BY created_ms, id`;

/** Runs holding a maxActiveRuns slot: running ones (covering index runs_state_pipeline). */
export const COUNT_RUNNING_RUNS = `SELECT COUNT(*) AS n FROM runs WHERE state = 'running' AND pipeline_id = ?`;

/**
 * One step down the partial unique index runs_scheduled_logical_date (its predicate spelled the same), not an
 * aggregate over the pipeline's whole history: ORDER BY … LIMIT 1 is a seek on both databases.
 */
export const LATEST_SCHEDULED_LOGICAL_DATE = `
SELECT logical_date_ms FROM runs WHERE pipeline_id = ? AND trigger = 'scheduled' ORDER BY logical_date_ms DESC LIMIT 1`;

/** Index runs_pipeline_logical_date; both ends inclusive. */
export const RUNS_BY_LOGICAL_DATE = `
SELECT logical_date_ms, state, id FROM runs WHERE pipeline_id = ? AND logical_date_ms >= ? AND logical_date_ms <= ?
ORDER BY logical_date_ms, created_ms, id`;

/** createRuns: the id of the scheduled run that kept a (pipeline, logical date) from being inserted again. */
export const GET_SCHEDULED_RUN_ID = `
SELECT id FROM runs WHERE pipeline_id = ? AND logical_date_ms = ? AND trigger = 'scheduled'`;

/** Compare-and-set of the owner: two statements because `IS ?` is spelled differently by the two databases. */
export const SET_RUN_OWNER_IF_UNOWNED = `UPDATE runs SET owner = ? WHERE id = ? AND owner IS NULL`;
export const SET_RUN_OWNER_IF_OWNED_BY = `UPDATE runs SET owner = ? WHERE id = ? AND owner = ?`;

/** The unowned runs among `idCount` ids, taken by one owner in one statement; returns the ids taken. Params: owner, ids. */
export function claimUnownedRunsSql(idCount: number): string {
  return `UPDATE runs SET owner = ? WHERE owner IS NULL AND id IN (${Array.from({ length: idCount }, () => "?").join(", ")}) RETURNING id`;
}

/**
 * Guarded by the expected state. Starting keeps the first start time (a run is started once). The same
 * statement reopens an ended run whose instances a user cleared (success/failed/canceled → running): it
 * keeps its start and loses its end, so the run's span covers every attempt until it ends again.
 */
export const START_RUN = `
UPDATE runs SET state = 'running', started_ms = COALESCE(started_ms, ?), ended_ms = NULL WHERE id = ? AND state = ?`;
export const END_RUN = `UPDATE runs SET state = ?, ended_ms = ? WHERE id = ? AND state = ?`;
/** Any other run transition (back to queued, say): the state only; a run that is not ended has no end time. */
export const TRANSITION_RUN = `UPDATE runs SET state = ?, ended_ms = NULL WHERE id = ? AND state = ?`;
