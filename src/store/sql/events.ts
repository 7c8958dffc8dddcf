// SQL of events and completion triggers (migration 0006, docs/events.md). Shared by SQLite and Postgres:
// `?` placeholders, no dialect-specific functions.

export const INSERT_EVENT = `INSERT INTO events (id, name, payload_json, received_ms) VALUES (?, ?, ?, ?)`;

const EVENT_COLUMNS = `id, name, payload_json, received_ms`;

export const GET_EVENT = `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`;

/** Newest first; the keyset cursor is (received_ms, id). */
export function listEventsSql(filter: { name?: string | undefined; before?: { receivedMs: number; id: string } | undefined; limit: number }): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.name !== undefined) {
    where.push("name = ?");
    params.push(filter.name);
  }
  if (filter.before !== undefined) {
    where.push("(received_ms < ? OR (received_ms = ? AND id < ?))");
    params.push(filter.before.receivedMs, filter.before.receivedMs, filter.before.id);
  }
  params.push(filter.limit);
  return {
    sql: `SELECT ${EVENT_COLUMNS} FROM events ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY received_ms DESC, id DESC LIMIT ?`,
    params,
  };
}

const DELIVERY_COLUMNS = `event_id, pipeline_id, outcome, run_id, reason, done_ms`;

export function deliveriesOfEventsSql(count: number): string {
  return `SELECT ${DELIVERY_COLUMNS} FROM event_deliveries WHERE event_id IN (${placeholders(count)}) ORDER BY done_ms, pipeline_id`;
}

export const DELIVERIES_OF_RUN = `SELECT ${DELIVERY_COLUMNS} FROM event_deliveries WHERE run_id = ? ORDER BY done_ms, event_id`;

/**
 * Events of these names received at or after `since` that the pipeline has not handled yet, oldest first
 * (index events_name_received; the anti-join by primary key).
 */
export function pendingEventsSql(names: number): string {
  return `
SELECT ${EVENT_COLUMNS} FROM events e
WHERE e.name IN (${placeholders(names)}) AND e.received_ms >= ?
  AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.pipeline_id = ?)
ORDER BY e.received_ms, e.id LIMIT ?`;
}

/** The guard of exactly-once: a second delivery of one event to one pipeline inserts nothing. */
export const INSERT_DELIVERY = `
INSERT INTO event_deliveries (event_id, pipeline_id, outcome, run_id, reason, done_ms) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (event_id, pipeline_id) DO NOTHING`;

export const RUN_AT_LOGICAL_DATE = `SELECT id FROM runs WHERE pipeline_id = ? AND logical_date_ms = ? LIMIT 1`;

/** When the pipeline was first registered: events and upstream runs before that are not for it. */
export const PIPELINE_FIRST_REGISTERED = `SELECT MIN(created_ms) AS first_ms FROM pipeline_versions WHERE pipeline_id = ?`;

const RUN_COLUMNS = `r.id, r.pipeline_id, r.version, r.state, r.trigger, r.logical_date_ms, r.interval_start_ms, r.interval_end_ms,
  r.params_json, r.file, r.backfill_id, r.owner, r.created_ms, r.started_ms, r.ended_ms`;

/** Successful runs of the upstream pipelines, ended at or after `since`, the pipeline has not consumed; oldest first. */
export function pendingUpstreamRunsSql(upstreams: number): string {
  return `
SELECT ${RUN_COLUMNS} FROM runs r
WHERE r.state = 'success' AND r.pipeline_id IN (${placeholders(upstreams)}) AND r.ended_ms >= ?
  AND NOT EXISTS (SELECT 1 FROM upstream_consumptions c WHERE c.pipeline_id = ? AND c.upstream_run_id = r.id)
ORDER BY r.ended_ms, r.id LIMIT ?`;
}

/** Successful runs of these pipelines for one logical date (index runs_pipeline_logical_date). */
export function successfulRunsAtSql(pipelines: number): string {
  return `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.pipeline_id IN (${placeholders(pipelines)}) AND r.logical_date_ms = ? AND r.state = 'success' ORDER BY r.ended_ms`;
}

export const INSERT_CONSUMPTION = `
INSERT INTO upstream_consumptions (pipeline_id, upstream_run_id, run_id, done_ms) VALUES (?, ?, ?, ?)
ON CONFLICT (pipeline_id, upstream_run_id) DO NOTHING`;

function placeholders(count: number): string {
  return Array.from({ length: Math.max(1, count) }, () => "?").join(", ");
}
