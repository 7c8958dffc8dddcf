// SQL of the backfill aggregate: a range of logical dates of one pipeline whose runs are grouped under its id.
// State writes are guarded by the state they expect, so two schedulers (or a cancel racing a finish) can't
// both move it.

const BACKFILL_COLUMNS = `id, pipeline_id, from_ms, to_ms, concurrency, reprocess, state, created_ms, ended_ms, total_runs`;

export const INSERT_BACKFILL = `
INSERT INTO backfills (id, pipeline_id, from_ms, to_ms, concurrency, reprocess, state, created_ms, total_runs)
VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)`;

export const GET_BACKFILL = `SELECT ${BACKFILL_COLUMNS} FROM backfills WHERE id = ?`;

/** Newest first; by state through index backfills_state. */
export function listBackfillsSql(byPipeline: boolean, stateCount: number): string {
  const where: string[] = [];
  if (byPipeline) where.push("pipeline_id = ?");
  if (stateCount > 0) where.push(`state IN (${Array.from({ length: stateCount }, () => "?").join(", ")})`);
  return `SELECT ${BACKFILL_COLUMNS} FROM backfills${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
ORDER BY created_ms DESC, id DESC`;
}

/** Params: to, ended_ms (null unless `to` is terminal), id, expected state. */
export const SET_BACKFILL_STATE = `UPDATE backfills SET state = ?, ended_ms = ? WHERE id = ? AND state = ?`;
