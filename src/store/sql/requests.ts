// SQL of run requests (migration 0004): commands for a run that a scheduler in another process drives.

export const INSERT_RUN_REQUEST = `
INSERT INTO run_requests (id, run_id, event_json, state, created_ms) VALUES (?, ?, ?, 'pending', ?)`;

/** Oldest first (partial index run_requests_pending). */
export const PENDING_RUN_REQUESTS = `
SELECT id, run_id, event_json, state, message, created_ms, done_ms FROM run_requests WHERE state = 'pending'
ORDER BY created_ms, id LIMIT ?`;

export const GET_RUN_REQUEST = `
SELECT id, run_id, event_json, state, message, created_ms, done_ms FROM run_requests WHERE id = ?`;

/** Guarded: a request is finished once. */
export const FINISH_RUN_REQUEST = `
UPDATE run_requests SET state = ?, message = ?, done_ms = ? WHERE id = ? AND state = 'pending'`;
