// SQL of missed run deadlines: one outbox row per run, keyed by the run (the id is `deadline_<run id>`), so
// writing it again is a no-op on SQLite and Postgres alike.

export const INSERT_DEADLINE_MISSED = `INSERT INTO outbox (id, run_id, payload_json, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;
