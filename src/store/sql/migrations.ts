// SQL of the migration runner: the table that records which steps of the chain a database has applied.
export const CREATE_SCHEMA_MIGRATIONS = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_ms BIGINT  NOT NULL
)`;

export const LIST_APPLIED_MIGRATIONS = `SELECT version FROM schema_migrations ORDER BY version`;

export const RECORD_MIGRATION = `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)`;
