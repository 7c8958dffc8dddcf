// Sensors (docs/sensors.md, docs/adr/0007): the hand-off between the scheduler and the trigger loop. One row
// per sensor instance while it waits in `deferred`: the job a check runs, when the next check is due, the
// durable first-check time its timeout counts from, a lease so two trigger loops never check it at once, and
// the final result the scheduler consumes.
import type { Migration } from "./migration.js";

export const migration0007SensorWaits: Migration = {
  version: 7,
  name: "sensor_waits",
  sql: `
CREATE TABLE sensor_waits (
  run_id            TEXT    NOT NULL,
  task_id           TEXT    NOT NULL,
  map_index         INTEGER NOT NULL,
  try_number        INTEGER NOT NULL,
  waits_for         TEXT    NOT NULL,
  job_json          TEXT    NOT NULL,
  probe_json        TEXT,
  first_check_ms    BIGINT  NOT NULL,
  next_check_ms     BIGINT  NOT NULL,
  last_check_ms     BIGINT,
  checks            INTEGER NOT NULL DEFAULT 0,
  poke_interval_ms  BIGINT  NOT NULL,
  timeout_ms        BIGINT,
  soft_fail         INTEGER NOT NULL DEFAULT 0,
  state             TEXT    NOT NULL CHECK (state IN ('waiting', 'done', 'delivered')),
  result_json       TEXT,
  lease_owner       TEXT,
  lease_until_ms    BIGINT,
  PRIMARY KEY (run_id, task_id, map_index),
  FOREIGN KEY (run_id, task_id, map_index) REFERENCES task_instances (run_id, task_id, map_index) ON DELETE CASCADE
);
-- The trigger loop's claim (waiting rows due first) and the scheduler's pass over results (done rows).
CREATE INDEX sensor_waits_due ON sensor_waits (state, next_check_ms);
`,
};
