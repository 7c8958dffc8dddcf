// SQL of the run aggregate. Writes to a run's state are guarded by the state they expect to find.

const RUN_COLUMNS = `id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms, started_ms, ended_ms`;

/** A scheduled run that exists for (pipeline, logical date) is not inserted again (partial unique index). */
export const INSERT_RUN = `
INSERT INTO runs (id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms)
VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled' DO NOTHING`;

export const GET_RUN = `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`;

export const GET_SCHEDULED_RUN = `
SELECT ${RUN_COLUMNS} FROM runs WHERE pipeline_id = ? AND logical_date_ms = ? AND trigger = 'scheduled'`;

/** Newest first (index runs_pipeline_created or runs_created); ties broken by logical date, then id. */
export function listRunsSql(byPipeline: boolean, stateCount: number): string {
  const where: string[] = [];
  if (byPipeline) where.push("pipeline_id = ?");
  if (stateCount > 0) where.push(`state IN (${Array.from({ length: stateCount }, () => "?").join(", ")})`);
  return `SELECT ${RUN_COLUMNS} FROM runs${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
ORDER BY created_ms DESC, logical_date_ms DESC, id DESC LIMIT ?`;
}

/** Compare-and-set of the owner: two statements because `IS ?` is spelled differently by the two databases. */
export const SET_RUN_OWNER_IF_UNOWNED = `UPDATE runs SET owner = ? WHERE id = ? AND owner IS NULL`;
export const SET_RUN_OWNER_IF_OWNED_BY = `UPDATE runs SET owner = ? WHERE id = ? AND owner = ?`;

/** Guarded by the expected state. Starting keeps the first start time (a run is started once). */
export const START_RUN = `
UPDATE runs SET state = 'running', started_ms = COALESCE(started_ms, ?), ended_ms = NULL WHERE id = ? AND state = ?`;
export const END_RUN = `UPDATE runs SET state = ?, ended_ms = ? WHERE id = ? AND state = ?`;
/** Any other run transition (back to queued, say): the state only; a run that is not ended has no end time. */
export const TRANSITION_RUN = `UPDATE runs SET state = ?, ended_ms = NULL WHERE id = ? AND state = ?`;
