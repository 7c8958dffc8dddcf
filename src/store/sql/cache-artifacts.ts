// SQL of caching, artifact references and sub-pipeline links (migration 0005). Plain `?` placeholders:
// the same text runs on SQLite and Postgres.

/** After END_TRY of a try that ran a cacheable task: the key it was computed under. */
export const SET_TRY_CACHE_KEY = `
UPDATE tries SET cache_key = ? WHERE run_id = ? AND task_id = ? AND map_index = ? AND try_number = ?`;

/** A success that reused a cached result. */
export const MARK_INSTANCE_CACHED = `
UPDATE task_instances SET cached = 1 WHERE run_id = ? AND task_id = ? AND map_index = ?`;

/** The newest successful try computed under this key, ended at or after the TTL's bound. Params: key, not-before ms. */
export const FIND_CACHED_TRY = `
SELECT run_id, task_id, map_index, try_number, output, ended_ms FROM tries
WHERE cache_key = ? AND state = 'success' AND ended_ms >= ?
ORDER BY ended_ms DESC LIMIT 1`;

export const INSERT_RUN_SETTINGS = `
INSERT INTO run_settings (run_id, no_cache) VALUES (?, ?)
ON CONFLICT (run_id) DO UPDATE SET no_cache = excluded.no_cache`;

export const GET_RUN_NO_CACHE = `SELECT no_cache FROM run_settings WHERE run_id = ?`;

export const INSERT_ARTIFACT_REF = `
INSERT INTO artifact_refs (run_id, task_id, map_index, try_number, digest, size, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, task_id, map_index, try_number) DO NOTHING`;

/** Digests whose every referencing run was created before the bound (params: bound ms). */
export const PRUNABLE_ARTIFACTS = `
SELECT a.digest AS digest, SUM(a.size) AS bytes FROM artifact_refs a LEFT JOIN runs r ON r.id = a.run_id
GROUP BY a.digest
HAVING MAX(COALESCE(r.created_ms, a.created_ms)) < ?`;

export const DELETE_ARTIFACT_REFS = `DELETE FROM artifact_refs WHERE digest = ?`;

export const LIST_REFERENCED_DIGESTS = `SELECT DISTINCT digest FROM artifact_refs`;

export const INSERT_SUB_RUN = `
INSERT INTO sub_runs (child_run_id, parent_run_id, parent_task_id, parent_map_index, parent_try_number, created_ms)
VALUES (?, ?, ?, ?, ?, ?)`;

export const LIST_SUB_RUNS = `
SELECT child_run_id, parent_run_id, parent_task_id, parent_map_index, parent_try_number, created_ms FROM sub_runs
WHERE parent_run_id = ? ORDER BY created_ms, child_run_id`;

export const GET_PARENT_OF_RUN = `
SELECT child_run_id, parent_run_id, parent_task_id, parent_map_index, parent_try_number, created_ms FROM sub_runs
WHERE child_run_id = ?`;
