// SQL of the outbox aggregate: notifications written with decisions, delivered after the commit.

export const INSERT_OUTBOX = `INSERT INTO outbox (id, run_id, payload_json, created_ms) VALUES (?, ?, ?, ?)`;

export const LIST_PENDING_OUTBOX = `
SELECT o.id, o.run_id, o.payload_json, o.created_ms, r.pipeline_id, r.logical_date_ms
FROM outbox o JOIN runs r ON r.id = o.run_id
WHERE o.delivered_ms IS NULL ORDER BY o.created_ms, o.id LIMIT ?`;

export const MARK_OUTBOX_DONE = `
UPDATE outbox SET delivered_ms = ?, attempts = attempts + ?, last_error = ? WHERE id = ? AND delivered_ms IS NULL`;
