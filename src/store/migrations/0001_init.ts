// The first schema: pipelines and their versions, runs, task instances and tries. Written in the SQL that
// SQLite and Postgres share (TEXT, INTEGER, BIGINT; 0/1 integers for booleans; JSON as TEXT; times as epoch-ms
// BIGINT columns ending _ms) so one migration chain serves both. Embedded as a string so it survives bundling.
import type { Migration } from "./migration.js";

export const migration0001Init: Migration = {
  version: 1,
  name: "init",
  sql: `
CREATE TABLE pipelines (
  id          TEXT    NOT NULL PRIMARY KEY,
  version     TEXT    NOT NULL,
  file        TEXT    NOT NULL,
  paused      INTEGER NOT NULL DEFAULT 0,
  updated_ms  BIGINT  NOT NULL
);

CREATE TABLE pipeline_versions (
  pipeline_id TEXT    NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  version     TEXT    NOT NULL,
  graph_json  TEXT    NOT NULL,
  file        TEXT    NOT NULL,
  created_ms  BIGINT  NOT NULL,
  PRIMARY KEY (pipeline_id, version)
);

-- A run keeps the version it started with readable: the foreign key forbids a run of an unknown version.
CREATE TABLE runs (
  id                TEXT    NOT NULL PRIMARY KEY,
  pipeline_id       TEXT    NOT NULL,
  version           TEXT    NOT NULL,
  state             TEXT    NOT NULL,
  trigger           TEXT    NOT NULL,
  logical_date_ms   BIGINT  NOT NULL,
  interval_start_ms BIGINT  NOT NULL,
  interval_end_ms   BIGINT  NOT NULL,
  params_json       TEXT    NOT NULL,
  file              TEXT    NOT NULL,
  backfill_id       TEXT,
  owner             TEXT,
  created_ms        BIGINT  NOT NULL,
  started_ms        BIGINT,
  ended_ms          BIGINT,
  FOREIGN KEY (pipeline_id, version) REFERENCES pipeline_versions (pipeline_id, version)
);
-- One scheduled run per (pipeline, logical date): createRun's ON CONFLICT target.
CREATE UNIQUE INDEX runs_scheduled_logical_date ON runs (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled';
-- listRuns of one pipeline, newest first.
CREATE INDEX runs_pipeline_created ON runs (pipeline_id, created_ms);
-- listRuns of all pipelines, newest first.
CREATE INDEX runs_created ON runs (created_ms);
-- Recovery and the UI find unfinished runs by state.
CREATE INDEX runs_state ON runs (state);

-- map_index -1 is an unmapped instance (Airflow's convention); try_number counts tries created so far.
CREATE TABLE task_instances (
  run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_id     TEXT    NOT NULL,
  map_index   INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  try_number  INTEGER NOT NULL DEFAULT 0,
  cached      INTEGER NOT NULL DEFAULT 0,
  retry_at_ms BIGINT,
  started_ms  BIGINT,
  ended_ms    BIGINT,
  PRIMARY KEY (run_id, task_id, map_index)
);

CREATE TABLE tries (
  run_id      TEXT    NOT NULL,
  task_id     TEXT    NOT NULL,
  map_index   INTEGER NOT NULL,
  try_number  INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  queued_ms   BIGINT  NOT NULL,
  started_ms  BIGINT,
  ended_ms    BIGINT,
  worker      TEXT,
  error_json  TEXT,
  output      TEXT,
  PRIMARY KEY (run_id, task_id, map_index, try_number),
  FOREIGN KEY (run_id, task_id, map_index) REFERENCES task_instances (run_id, task_id, map_index) ON DELETE CASCADE
);
`,
};
