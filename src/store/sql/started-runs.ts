// SQL of runs created already started (NewRun.started): the scheduler's due runs, inserted in the state their
// first decision leaves them in, so that decision costs no second write of every row.

/** As INSERT_RUN (runs.ts), `running` since started_ms; a scheduled run that exists is not inserted again. */
export const INSERT_STARTED_RUN = `
INSERT INTO runs (id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms, started_ms)
VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled' DO NOTHING`;

/** Instances each in its own state (pending or scheduled); params per row: run_id, task_id, state. */
export function insertInstancesInStateSql(rowCount: number): string {
  let sql = bySize.get(rowCount);
  if (sql === undefined) {
    const tuples = Array.from({ length: rowCount }, () => "(?, ?, -1, ?, 0, 0)").join(", ");
    sql = `INSERT INTO task_instances (run_id, task_id, map_index, state, try_number, cached) VALUES ${tuples}`;
    bySize.set(rowCount, sql);
  }
  return sql;
}
const bySize = new Map<number, string>();
export const INSERT_INSTANCES_IN_STATE_PARAMS_PER_ROW = 3;
