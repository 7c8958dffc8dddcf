// Run requests: a user's command (cancel, clear, mark) for a run that a scheduler in another process drives,
// written by `weir server` and taken by that scheduler on its next pass, which hands it to the coordinator
// driving the run (never writing under it) and records the outcome.
import type { Migration } from "./migration.js";

export const migration0004Requests: Migration = {
  version: 4,
  name: "requests",
  sql: `
CREATE TABLE run_requests (
  id          TEXT   NOT NULL PRIMARY KEY,
  run_id      TEXT   NOT NULL,
  event_json  TEXT   NOT NULL,
  state       TEXT   NOT NULL CHECK (state IN ('pending', 'done', 'refused')),
  message     TEXT,
  created_ms  BIGINT NOT NULL,
  done_ms     BIGINT
);
-- What the scheduler has still to take, oldest first.
CREATE INDEX run_requests_pending ON run_requests (created_ms) WHERE state = 'pending';
`,
};
