// SQL of distributed execution (migration 0008). "now" is `?` (the caller's clock, SQLite) or the database's
// clock expression (Postgres): heartbeats written and compared on one clock, whatever the workers' clocks say.
// The claim's `lock` is "" on SQLite (one writer at a time) and `FOR UPDATE SKIP LOCKED` on Postgres, where
// concurrent workers skip rows another claim holds instead of waiting; the outer `state = 'queued'` guard is
// re-checked on the locked row, so a try is never claimed twice.

export interface DistributedStatements {
  /** Params: id, host, pid, queues_json, slots, version, [now ×2]. */
  register: string;
  /** Params: in_use, [now], id. */
  heartbeat: string;
  /** Params: [now], timeoutMs. */
  markLost: string;
  /** Params: …queues, limit, [now] (→ claimed_ms), workerId. Returns the claimed rows with the try they are. */
  claim: (queueCount: number) => string;
}

export function distributedStatements(now: string, lock: string): DistributedStatements {
  return {
    register: `
INSERT INTO workers (id, host, pid, queues_json, slots, in_use, version, started_ms, heartbeat_ms, state)
VALUES (?, ?, ?, ?, ?, 0, ?, ${now}, ${now}, 'alive')
ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues_json = excluded.queues_json,
  slots = excluded.slots, in_use = 0, version = excluded.version, started_ms = excluded.started_ms,
  heartbeat_ms = excluded.heartbeat_ms, state = 'alive'`,
    heartbeat: `UPDATE workers SET in_use = ?, heartbeat_ms = ${now} WHERE id = ? AND state = 'alive'`,
    markLost: `UPDATE workers SET state = 'lost' WHERE state = 'alive' AND heartbeat_ms < ${now} - ?`,
    // The pick is a materialized CTE: Postgres runs it once (a subquery under IN may be re-run per row and,
    // skipping locked rows, pick more than the limit).
    claim: (queueCount) => `
WITH picked AS MATERIALIZED (
  SELECT try_key FROM try_queue
  WHERE state = 'queued' AND queue IN (${Array.from({ length: queueCount }, () => "?").join(", ")})
  ORDER BY enqueued_ms, try_key LIMIT ? ${lock})
UPDATE try_queue SET state = 'claimed', claimed_ms = ${now}, worker_id = ?
WHERE state = 'queued' AND try_key IN (SELECT try_key FROM picked)
RETURNING try_key, job_json, enqueued_ms, run_id, task_id, map_index, try_number`,
  };
}

export const WORKER_IS_ALIVE = `SELECT 1 AS alive FROM workers WHERE id = ? AND state = 'alive'`;
export const STOP_WORKER = `UPDATE workers SET state = 'stopped', in_use = 0 WHERE id = ? AND state = 'alive'`;
export const LIST_WORKERS = `
SELECT id, host, pid, queues_json, slots, in_use, version, started_ms, heartbeat_ms, state FROM workers
ORDER BY CASE state WHEN 'alive' THEN 0 ELSE 1 END, id`;

export const ENQUEUE_TRY = `
INSERT INTO try_queue (try_key, queue, scheduler_id, job_json, enqueued_ms, state, run_id, task_id, map_index, try_number)
VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
ON CONFLICT (try_key) DO NOTHING`;

/** The claiming worker on the try itself, in the claim's transaction: the scheduler wrote a placeholder. */
export const SET_TRY_WORKER = `
UPDATE tries SET worker = ? WHERE run_id = ? AND task_id = ? AND map_index = ? AND try_number = ? AND state = 'running'`;

export const COMPLETE_TRY = `
UPDATE try_queue SET state = 'done', result_json = ?, started_ms = ?, ended_ms = ?
WHERE try_key = ? AND worker_id = ? AND state = 'claimed'
  AND EXISTS (SELECT 1 FROM workers WHERE workers.id = try_queue.worker_id AND workers.state = 'alive')`;

export const TAKE_RESULTS = `
DELETE FROM try_queue WHERE scheduler_id = ? AND state = 'done'
RETURNING try_key, result_json, started_ms, ended_ms`;

export const KEEP_RESULTS = `
UPDATE try_queue SET scheduler_id = ? WHERE scheduler_id = ? AND state = 'done'
RETURNING try_key, result_json, started_ms, ended_ms`;

export const FORGET_RESULT = `DELETE FROM try_queue WHERE try_key = ? AND state = 'done'`;

export const DEQUEUE_TRY = `DELETE FROM try_queue WHERE try_key = ? AND state = 'queued'`;
export const REQUEST_ABORT = `UPDATE try_queue SET abort_reason = ? WHERE try_key = ? AND state = 'claimed' AND abort_reason IS NULL`;
export const ABORT_REQUESTS = `SELECT try_key, abort_reason FROM try_queue WHERE worker_id = ? AND state = 'claimed' AND abort_reason IS NOT NULL`;

export const TAKE_LOST_TRIES = `
DELETE FROM try_queue WHERE scheduler_id = ? AND state = 'claimed'
  AND worker_id IN (SELECT id FROM workers WHERE state <> 'alive')
RETURNING try_key, worker_id`;

/** Takes over every other scheduler's rows (a scheduler that took the scheduler lease over, docs/distributed.md). */
export const ADOPT_OTHERS = `
UPDATE try_queue SET scheduler_id = ? WHERE scheduler_id <> ?
RETURNING try_key, queue, state, job_json`;

export const DROP_OTHER_QUEUED = `DELETE FROM try_queue WHERE scheduler_id <> ? AND state IN ('queued', 'done')`;
export const ABORT_OTHER_CLAIMED = `UPDATE try_queue SET abort_reason = 'canceled' WHERE scheduler_id <> ? AND state = 'claimed' AND abort_reason IS NULL`;

export const APPEND_LOG_CHUNK = `
INSERT INTO try_log_chunks (try_key, seq, byte_offset, text) VALUES (?, ?, ?, ?) ON CONFLICT (try_key, seq) DO NOTHING`;

/**
 * Chunks from the one holding byte `?` on, in order, at most `?`: two seeks on (try_key, byte_offset), however
 * long the log. Params: try_key, try_key, offset, limit.
 */
export const READ_LOG_CHUNKS_FROM = `
SELECT byte_offset, text FROM try_log_chunks
WHERE try_key = ? AND byte_offset >= COALESCE(
  (SELECT MAX(byte_offset) FROM try_log_chunks WHERE try_key = ? AND byte_offset <= ?), 0)
ORDER BY byte_offset, seq LIMIT ?`;

/**
 * Postgres only (sent where the dialect can listen): wakes listeners at once instead of at their next poll.
 * Sent on its own, after the write's transaction committed: a pending NOTIFY takes a global lock at commit,
 * which a hot write transaction must not wait for.
 */
export const NOTIFY = `SELECT pg_notify(?, '')`;
