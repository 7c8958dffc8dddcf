// Events and completion triggers (docs/events.md): events recorded by `POST /api/v1/events/<name>` and
// `weir emit`, what each subscribing pipeline did with each (the run it started, or why not), and the
// upstream runs a completion-triggered pipeline (`schedule: { after: [...] }`) has consumed. The primary keys
// are what makes "exactly once per subscribing pipeline" hold across crashes: a delivery or consumption row
// is committed in the same transaction as the run it creates.
import type { Migration } from "./migration.js";

export const migration0006Events: Migration = {
  version: 6,
  name: "events",
  sql: `
CREATE TABLE events (
  id            TEXT   NOT NULL PRIMARY KEY,
  name          TEXT   NOT NULL,
  payload_json  TEXT   NOT NULL,
  received_ms   BIGINT NOT NULL
);
CREATE INDEX events_name_received ON events (name, received_ms);
CREATE INDEX events_received ON events (received_ms);

-- One row per (event, subscribing pipeline) once that pipeline has handled the event.
CREATE TABLE event_deliveries (
  event_id     TEXT   NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  pipeline_id  TEXT   NOT NULL,
  outcome      TEXT   NOT NULL CHECK (outcome IN ('started', 'superseded', 'rejected')),
  run_id       TEXT,
  reason       TEXT,
  done_ms      BIGINT NOT NULL,
  PRIMARY KEY (event_id, pipeline_id)
);
CREATE INDEX event_deliveries_run ON event_deliveries (run_id) WHERE run_id IS NOT NULL;

-- One row per (downstream pipeline, upstream run) once the downstream took that upstream success.
CREATE TABLE upstream_consumptions (
  pipeline_id      TEXT   NOT NULL,
  upstream_run_id  TEXT   NOT NULL,
  run_id           TEXT,
  done_ms          BIGINT NOT NULL,
  PRIMARY KEY (pipeline_id, upstream_run_id)
);
`,
};
