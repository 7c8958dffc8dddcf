// Distributed execution (docs/distributed.md): `weir worker` processes on other machines register in `workers`
// and claim tries a scheduler put in `try_queue`; their results go back through the same row, guarded by the
// claiming worker, so a worker declared lost can no longer report. Logs of remote tries are kept in
// `try_log_chunks` so every machine can read them.
import type { Migration } from "./migration.js";

export const migration0008Distributed: Migration = {
  version: 8,
  name: "distributed",
  sql: `
CREATE TABLE workers (
  id            TEXT    PRIMARY KEY,
  host          TEXT    NOT NULL,
  pid           INTEGER NOT NULL,
  queues_json   TEXT    NOT NULL,
  slots         INTEGER NOT NULL,
  in_use        INTEGER NOT NULL DEFAULT 0,
  version       TEXT    NOT NULL,
  started_ms    BIGINT  NOT NULL,
  heartbeat_ms  BIGINT  NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('alive', 'lost', 'stopped'))
);
CREATE INDEX workers_alive ON workers (state, heartbeat_ms);
CREATE TABLE try_queue (
  try_key       TEXT    PRIMARY KEY,
  queue         TEXT    NOT NULL,
  scheduler_id  TEXT    NOT NULL,
  job_json      TEXT    NOT NULL,
  enqueued_ms   BIGINT  NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('queued', 'claimed', 'done')),
  worker_id     TEXT,
  claimed_ms    BIGINT,
  abort_reason  TEXT,
  result_json   TEXT,
  started_ms    BIGINT,
  ended_ms      BIGINT
);
-- The claim reads only queued rows, oldest first; delivered results are deleted, so the table holds only
-- what is in flight however many tries have run.
CREATE INDEX try_queue_claim ON try_queue (queue, enqueued_ms, try_key) WHERE state = 'queued';
CREATE INDEX try_queue_done ON try_queue (scheduler_id) WHERE state = 'done';
CREATE INDEX try_queue_worker ON try_queue (worker_id) WHERE state = 'claimed';
CREATE TABLE try_log_chunks (
  try_key       TEXT    NOT NULL,
  seq           INTEGER NOT NULL,
  text          TEXT    NOT NULL,
  PRIMARY KEY (try_key, seq)
);
`,
};
