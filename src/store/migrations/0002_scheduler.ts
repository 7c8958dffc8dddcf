// The scheduler's tables: backfills, pools and leases, and the run indexes its phases query by (latest
// scheduled logical date, a backfill's runs by state). Same shared SQL subset as 0001: TEXT, INTEGER, BIGINT
// epoch-ms columns ending _ms, CHECK constraints both databases enforce.
import type { Migration } from "./migration.js";

export const migration0002Scheduler: Migration = {
  version: 2,
  name: "scheduler",
  sql: `
-- A backfill groups the runs created for a past range of logical dates (runs.backfill_id; no foreign key
-- because SQLite cannot add one to an existing table). concurrency NULL means unlimited.
CREATE TABLE backfills (
  id          TEXT    NOT NULL PRIMARY KEY,
  pipeline_id TEXT    NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  from_ms     BIGINT  NOT NULL,
  to_ms       BIGINT  NOT NULL,
  concurrency INTEGER CHECK (concurrency IS NULL OR concurrency > 0),
  reprocess   TEXT    NOT NULL CHECK (reprocess IN ('none', 'failed', 'all')),
  state       TEXT    NOT NULL CHECK (state IN ('running', 'success', 'failed', 'canceled')),
  created_ms  BIGINT  NOT NULL,
  ended_ms    BIGINT,
  total_runs  INTEGER NOT NULL CHECK (total_runs >= 0)
);
-- The scheduler's backfill phase reads the running ones.
CREATE INDEX backfills_state ON backfills (state);

-- Named slots shared by tasks across pipelines; migrate() seeds the 'default' pool.
CREATE TABLE pools (
  name        TEXT    NOT NULL PRIMARY KEY,
  slots       INTEGER NOT NULL CHECK (slots >= 0),
  description TEXT,
  updated_ms  BIGINT  NOT NULL
);

-- One row per named lease ('scheduler': one scheduler per SQLite file). Held while now < expires_ms.
CREATE TABLE leases (
  name       TEXT   NOT NULL PRIMARY KEY,
  owner      TEXT   NOT NULL,
  expires_ms BIGINT NOT NULL
);

-- runsByLogicalDate and listRuns by logical date range of one pipeline (any trigger). The latest scheduled
-- logical date is served by 0001's partial index runs_scheduled_logical_date.
CREATE INDEX runs_pipeline_logical_date ON runs (pipeline_id, logical_date_ms);
-- Unfinished runs (listActiveRuns) and running runs of one pipeline (countActiveRuns, covering): replaces
-- 0001's runs_state, a prefix of it. Without it a planner may count through all of a pipeline's history.
CREATE INDEX runs_state_pipeline ON runs (state, pipeline_id);
DROP INDEX runs_state;
-- A backfill's runs by state: how many run now, which queued one starts next. Partial, so runs of no backfill
-- (most of them) cost it nothing; "backfill_id = ?" implies its predicate on both databases.
CREATE INDEX runs_backfill_state ON runs (backfill_id, state) WHERE backfill_id IS NOT NULL;
`,
};
