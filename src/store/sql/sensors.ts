// SQL of the sensor hand-off (sensor_waits, migration 0007). The joins on task_instances make an instance that
// left `deferred` (canceled, marked, timed out with its run) invisible to the loop and the scheduler alike.

const KEY = "run_id = ? AND task_id = ? AND map_index = ?";

const DEFERRED_JOIN = `JOIN task_instances i ON i.run_id = w.run_id AND i.task_id = w.task_id AND i.map_index = w.map_index
  AND i.state = 'deferred' AND i.try_number = w.try_number`;

export const WAIT_COLUMNS = `w.run_id, w.task_id, w.map_index, w.try_number, w.waits_for, w.job_json, w.probe_json, w.first_check_ms,
  w.next_check_ms, w.last_check_ms, w.checks, w.poke_interval_ms, w.timeout_ms, w.soft_fail, w.state, w.result_json`;

export const UPSERT_WAIT = `INSERT INTO sensor_waits (run_id, task_id, map_index, try_number, waits_for, job_json, probe_json, first_check_ms,
  next_check_ms, poke_interval_ms, timeout_ms, soft_fail, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting')
ON CONFLICT (run_id, task_id, map_index) DO UPDATE SET
  first_check_ms = CASE WHEN sensor_waits.state = 'waiting' THEN sensor_waits.first_check_ms ELSE excluded.first_check_ms END,
  try_number = excluded.try_number, waits_for = excluded.waits_for, job_json = excluded.job_json, probe_json = excluded.probe_json,
  next_check_ms = excluded.next_check_ms, poke_interval_ms = excluded.poke_interval_ms, timeout_ms = excluded.timeout_ms,
  soft_fail = excluded.soft_fail, state = 'waiting', result_json = NULL, last_check_ms = NULL, checks = 0,
  lease_owner = NULL, lease_until_ms = NULL`;

export const DUE_WAITS = `SELECT w.run_id, w.task_id, w.map_index, w.try_number FROM sensor_waits w ${DEFERRED_JOIN}
WHERE w.state = 'waiting' AND w.next_check_ms <= ? AND (w.lease_until_ms IS NULL OR w.lease_until_ms <= ?)
ORDER BY w.next_check_ms LIMIT ?`;

export const CLAIM_WAIT = `UPDATE sensor_waits SET lease_owner = ?, lease_until_ms = ?
WHERE ${KEY} AND try_number = ? AND state = 'waiting' AND (lease_until_ms IS NULL OR lease_until_ms <= ?)`;

export const GET_WAIT = `SELECT ${WAIT_COLUMNS} FROM sensor_waits w WHERE w.run_id = ? AND w.task_id = ? AND w.map_index = ?`;

// Read by the loop after every check and by the scheduler's result pass, with a thousand waits: the first
// unleased wait in the (state, next_check_ms) index order, not a MIN over every waiting row and its instance.
// A leased wait is due when its lease ends (rows being checked: a few).
export const NEXT_DUE = `SELECT MIN(due) AS due FROM (
  SELECT due FROM (SELECT w.next_check_ms AS due FROM sensor_waits w ${DEFERRED_JOIN}
    WHERE w.state = 'waiting' AND w.lease_until_ms IS NULL ORDER BY w.next_check_ms LIMIT 1) unleased
  UNION ALL
  SELECT CASE WHEN w.lease_until_ms < w.next_check_ms THEN w.next_check_ms ELSE w.lease_until_ms END AS due FROM sensor_waits w ${DEFERRED_JOIN}
    WHERE w.state = 'waiting' AND w.lease_until_ms IS NOT NULL) due_times`;

export const NEXT_CHECK = `SELECT w.next_check_ms AS due FROM sensor_waits w ${DEFERRED_JOIN} WHERE w.state = 'waiting' ORDER BY w.next_check_ms LIMIT 1`;

export const RECORD_NOT_YET = `UPDATE sensor_waits SET next_check_ms = ?, last_check_ms = ?, checks = checks + 1, lease_owner = NULL, lease_until_ms = NULL
WHERE ${KEY} AND try_number = ? AND lease_owner = ? AND state = 'waiting'`;

export const RECORD_DONE = `UPDATE sensor_waits SET state = 'done', result_json = ?, last_check_ms = ?, checks = checks + 1, lease_owner = NULL, lease_until_ms = NULL
WHERE ${KEY} AND try_number = ? AND lease_owner = ? AND state = 'waiting'`;

export const DONE_WAITS = `SELECT ${WAIT_COLUMNS} FROM sensor_waits w ${DEFERRED_JOIN} WHERE w.state = 'done' LIMIT ?`;

export const MARK_DELIVERED = `UPDATE sensor_waits SET state = 'delivered' WHERE state = 'done' AND NOT EXISTS (
  SELECT 1 FROM task_instances i WHERE i.run_id = sensor_waits.run_id AND i.task_id = sensor_waits.task_id
    AND i.map_index = sensor_waits.map_index AND i.state = 'deferred' AND i.try_number = sensor_waits.try_number)`;

export const WAITS_OF_RUN = `SELECT ${WAIT_COLUMNS} FROM sensor_waits w WHERE w.run_id = ? ORDER BY w.task_id, w.map_index`;

export const RUN_AT_DATE = `SELECT id, state FROM runs WHERE pipeline_id = ? AND logical_date_ms = ? ORDER BY created_ms DESC, id DESC LIMIT 1`;

export const TASK_STATES = `SELECT state FROM task_instances WHERE run_id = ? AND task_id = ?`;

export const LEASE_OWNERS = `SELECT DISTINCT lease_owner FROM sensor_waits WHERE state = 'waiting' AND lease_owner IS NOT NULL`;

export const RELEASE_LEASES = `UPDATE sensor_waits SET lease_owner = NULL, lease_until_ms = NULL WHERE state = 'waiting' AND lease_owner = ?`;
