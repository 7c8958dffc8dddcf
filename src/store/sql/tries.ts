// SQL of the try aggregate: one row per attempt at an instance, history kept. Writes are guarded by the try's
// state so a try is started once and ended once.
import { cached } from "./instances.js";

const TRY_COLUMNS = `run_id, task_id, map_index, try_number, state, queued_ms, started_ms, ended_ms, worker, error_json,
  CASE WHEN output IS NULL THEN 0 ELSE 1 END AS has_output`;

export const QUEUE_TRY = `
INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms) VALUES (?, ?, ?, ?, 'queued', ?)`;

/** A try queued and started at once (local dispatch). */
export const INSERT_RUNNING_TRY = `
INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms, started_ms, worker) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`;

export const START_TRY = `
UPDATE tries SET state = 'running', started_ms = ?, worker = ?
WHERE run_id = ? AND task_id = ? AND map_index = ? AND try_number = ? AND state = 'queued'`;

/** Ends a queued or running try with its outcome, and its output or error. */
export const END_TRY = `
UPDATE tries SET state = ?, ended_ms = ?, output = ?, error_json = ?, started_ms = COALESCE(?, started_ms)
WHERE run_id = ? AND task_id = ? AND map_index = ? AND try_number = ? AND state IN ('queued', 'running')`;

export const LIST_RUN_TRIES = `SELECT ${TRY_COLUMNS} FROM tries WHERE run_id = ? ORDER BY task_id, map_index, try_number`;
export const LIST_TASK_TRIES = `
SELECT ${TRY_COLUMNS} FROM tries WHERE run_id = ? AND task_id = ? ORDER BY map_index, try_number`;
export const LIST_INSTANCE_TRIES = `
SELECT ${TRY_COLUMNS} FROM tries WHERE run_id = ? AND task_id = ? AND map_index = ? ORDER BY try_number`;

// An instance that succeeded, was cleared and then failed (or is running again) keeps its old successful
// try as history; its output is no longer the instance's, so outputs are read only of instances in success.
const INSTANCE_SUCCEEDED = `EXISTS (SELECT 1 FROM task_instances ti
  WHERE ti.run_id = tries.run_id AND ti.task_id = tries.task_id AND ti.map_index = tries.map_index AND ti.state = 'success')`;

/** Outputs of the successful tries of unmapped instances in success; the latest try wins when there are several. */
export function getOutputsSql(taskCount: number): string {
  const list = Array.from({ length: taskCount }, () => "?").join(", ");
  return `SELECT task_id, output FROM tries
WHERE run_id = ? AND map_index = -1 AND state = 'success' AND output IS NOT NULL AND task_id IN (${list}) AND ${INSTANCE_SUCCEEDED}
ORDER BY task_id, try_number`;
}

/** Outputs of the successful tries of a mapped task's instances in success; the latest try wins. Params: run_id, task_id. */
export const GET_MAPPED_OUTPUTS = `
SELECT map_index, output FROM tries
WHERE run_id = ? AND task_id = ? AND map_index >= 0 AND state = 'success' AND output IS NOT NULL AND ${INSTANCE_SUCCEEDED}
ORDER BY map_index, try_number`;

/** As GET_MAPPED_OUTPUTS, for one map index. Params: run_id, task_id, map_index. */
export const GET_MAPPED_OUTPUT = `
SELECT map_index, output FROM tries
WHERE run_id = ? AND task_id = ? AND map_index = ? AND state = 'success' AND output IS NOT NULL AND ${INSTANCE_SUCCEEDED}
ORDER BY try_number`;

/**
 * Set forms of INSERT_RUNNING_TRY and END_TRY for many tries of one run (see transitionInstancesSql): sizes
 * from SET_SIZES. The VALUES columns are cast where Postgres could not infer their type from a NULL.
 */
export function insertRunningTriesSql(rows: number): string {
  return cached(insertRunningBySize, rows, () => {
    const tuples = Array.from({ length: rows }, () => "(?, ?, ?, ?, 'running', ?, ?, ?)").join(", ");
    return `INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms, started_ms, worker) VALUES ${tuples}`;
  });
}
const insertRunningBySize = new Map<number, string>();

/**
 * Params: state, ended_ms, then per try: task_id, map_index, output, error_json, started_ms; then run_id, try_number.
 * Every listed try must be queued or running (the statement changes as many rows as it lists).
 */
export function endTriesSql(rows: number): string {
  return cached(endBySize, rows, () => {
    const tuples = Array.from({ length: rows }, () => "(?, CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT))").join(", ");
    return `UPDATE tries SET state = ?, ended_ms = ?, output = v.column3, error_json = v.column4, started_ms = COALESCE(v.column5, tries.started_ms)
FROM (VALUES ${tuples}) AS v
WHERE tries.run_id = ? AND tries.try_number = ? AND tries.task_id = v.column1 AND tries.map_index = v.column2 AND tries.state IN ('queued', 'running')`;
  });
}
const endBySize = new Map<number, string>();
