// SQL of the task instance aggregate. Every state write is guarded by the expected state and try number, so a
// late or duplicate report changes nothing and is seen as a conflict (changes() = 0).

/** `rowCount` instance rows of one shape per statement (chunked below the dialect's parameter cap). */
const insertInstancesSql = (bySize: Map<number, string>, rowCount: number, tuple: string): string =>
  cached(bySize, rowCount, () => `INSERT INTO task_instances (run_id, task_id, map_index, state, try_number, cached) VALUES ${Array.from({ length: rowCount }, () => tuple).join(", ")}`);

/** One row per pending instance; params per row: run_id, task_id. */
export const insertPendingInstancesSql = (rowCount: number): string => insertInstancesSql(insertPendingBySize, rowCount, "(?, ?, -1, 'pending', 0, 0)");
const insertPendingBySize = new Map<number, string>();
export const INSERT_PENDING_INSTANCES_PARAMS_PER_ROW = 2;

/** Instances each in its own state (pending or scheduled: a run created started); params per row: run_id, task_id, state. */
export const insertInstancesInStateSql = (rowCount: number): string => insertInstancesSql(insertInStateBySize, rowCount, "(?, ?, -1, ?, 0, 0)");
const insertInStateBySize = new Map<number, string>();
export const INSERT_INSTANCES_IN_STATE_PARAMS_PER_ROW = 3;

/**
 * A mapped task is expanded at run time: its placeholder (map index -1, never run) is deleted, guarded by
 * still being pending, and its instances 0…n-1 are inserted pending.
 * Params: run_id, task_id.
 */
export const DELETE_PLACEHOLDER_INSTANCE = `
DELETE FROM task_instances WHERE run_id = ? AND task_id = ? AND map_index = -1 AND state = 'pending'`;

/**
 * Instances of an expanded mapped task, `rowCount` per statement; params per row: run_id, task_id, map_index,
 * state (pending, or scheduled when the same decision schedules them all at once).
 */
export const insertMappedInstancesSql = (rowCount: number): string => insertInstancesSql(insertMappedBySize, rowCount, "(?, ?, ?, ?, 0, 0)");
const insertMappedBySize = new Map<number, string>();
export const INSERT_MAPPED_INSTANCES_PARAMS_PER_ROW = 4;

/**
 * A mapped task expanded after a collapse starts its instances at the try its placeholder had reached, with
 * their whole retry budget (retry_base, the same number). Params: try_number, retry_base, run_id, task_id.
 */
export const SET_MAPPED_TRY_NUMBER = `
UPDATE task_instances SET try_number = ?, retry_base = ? WHERE run_id = ? AND task_id = ? AND map_index >= 0`;

/**
 * A cleared mapped task collapsed back to its placeholder (engine MapCollapse): its instances, all pending, go
 * (their tries with them) and a pending placeholder takes their place at the highest try number they had.
 */
export const DELETE_PENDING_MAPPED_INSTANCES = `
DELETE FROM task_instances WHERE run_id = ? AND task_id = ? AND map_index >= 0 AND state = 'pending'`;
export const INSERT_PLACEHOLDER_INSTANCE = `
INSERT INTO task_instances (run_id, task_id, map_index, state, try_number, retry_base, cached) VALUES (?, ?, -1, 'pending', ?, ?, 0)`;

/** A "product" expansion's shape ("3,2"), kept on its instance 0. Params: map_shape, run_id, task_id. */
export const SET_MAP_SHAPE = `
UPDATE task_instances SET map_shape = ? WHERE run_id = ? AND task_id = ? AND map_index = 0`;

export const LIST_INSTANCES = `
SELECT run_id, task_id, map_index, state, try_number, retry_base, map_shape, cached, retry_at_ms, started_ms, ended_ms
FROM task_instances WHERE run_id = ? ORDER BY task_id, map_index`;

/**
 * Moves an instance from one state to another. Sets the try number (a new try on `queued`), retry_at_ms (only
 * on up_for_retry) and ended_ms (only in a terminal state; cleared otherwise, e.g. when an instance is cleared).
 * Params: state, try_number, retry_at_ms, ended_ms, run_id, task_id, map_index, expected state, expected try.
 */
export const TRANSITION_INSTANCE = `
UPDATE task_instances SET state = ?, try_number = ?, retry_at_ms = ?, ended_ms = ?
WHERE run_id = ? AND task_id = ? AND map_index = ? AND state = ? AND try_number = ?`;

/** As TRANSITION_INSTANCE, and records the instance's start: the start of its first try. */
export const START_INSTANCE = `
UPDATE task_instances SET state = ?, try_number = ?, retry_at_ms = ?, ended_ms = ?, started_ms = COALESCE(started_ms, ?)
WHERE run_id = ? AND task_id = ? AND map_index = ? AND state = ? AND try_number = ?`;

/**
 * A user cleared an ended instance (`weir clear`): back to a state that is not terminal, keeping its try
 * number (the next try is a new row in tries; the earlier ones stay as history). Its span starts over:
 * started_ms and ended_ms are cleared so the instance's start and end are those of the tries after the
 * clear (each try keeps its own times). A cleared instance is no longer a cache hit, and has its whole retry
 * budget again: tries up to retry_base (the try number it is cleared at) use no retries.
 * Params: state, try_number, retry_base, run_id, task_id, map_index, expected state, expected try.
 */
export const REOPEN_INSTANCE = `
UPDATE task_instances SET state = ?, try_number = ?, retry_base = ?, retry_at_ms = NULL, started_ms = NULL, ended_ms = NULL, cached = 0
WHERE run_id = ? AND task_id = ? AND map_index = ? AND state = ? AND try_number = ?`;

/**
 * Set forms of the single-row moves above, for many instances of one run going from the same state and try
 * to the same state at once (e.g. a fan-out scheduled by one decision): one statement instead of one per row.
 * The instances are a `VALUES` list of (task_id, map_index) rows; a guard holds only when the statement
 * changes as many rows as it lists. Row-value IN over VALUES runs on SQLite (≥ 3.15) and Postgres; map_index
 * is cast so Postgres types the list's column as an integer. Sizes come from a small fixed set
 * (SET_SIZES) so the prepared-statement cache stays bounded; fewer rows than the smallest go row by row.
 */
export const SET_SIZES: readonly number[] = [512, 128, 32, 8];

const instanceRows = (rows: number): string => Array.from({ length: rows }, () => "(?, CAST(? AS INTEGER))").join(", ");

/** Params: state, try_number, retry_at_ms, ended_ms, run_id, expected state, expected try, then task_id, map_index per row. */
export function transitionInstancesSql(rows: number): string {
  return cached(transitionBySize, rows, () => `UPDATE task_instances SET state = ?, try_number = ?, retry_at_ms = ?, ended_ms = ?
WHERE run_id = ? AND state = ? AND try_number = ? AND (task_id, map_index) IN (VALUES ${instanceRows(rows)})`);
}
const transitionBySize = new Map<number, string>();

/** As transitionInstancesSql, recording each instance's start. Params: state, try_number, started_ms, run_id, expected state, expected try, rows. */
export function startInstancesSql(rows: number): string {
  return cached(startBySize, rows, () => `UPDATE task_instances SET state = ?, try_number = ?, retry_at_ms = NULL, ended_ms = NULL, started_ms = COALESCE(started_ms, ?)
WHERE run_id = ? AND state = ? AND try_number = ? AND (task_id, map_index) IN (VALUES ${instanceRows(rows)})`);
}
const startBySize = new Map<number, string>();

export function cached(bySize: Map<number, string>, rows: number, make: () => string): string {
  let sql = bySize.get(rows);
  if (sql === undefined) {
    sql = make();
    bySize.set(rows, sql);
  }
  return sql;
}
