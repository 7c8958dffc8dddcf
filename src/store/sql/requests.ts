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

/**
 * A request carried out by a decision, recorded done in its transaction (apply-decisions.ts). It changes its
 * row even when the request was finished already (and then keeps it as it was): the batched writes of
 * Postgres expect every such statement to change one row, and a finished request is no conflict.
 * Params: done_ms, id.
 */
export const FINISH_RUN_REQUEST_BY_DECISION = `
UPDATE run_requests SET state = CASE WHEN state = 'pending' THEN 'done' ELSE state END,
  done_ms = CASE WHEN state = 'pending' THEN ? ELSE done_ms END
WHERE id = ?`;
