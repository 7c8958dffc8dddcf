// The outbox: notifications the engine decided, stored in the same transaction as the decision and
// delivered after the commit (at least once: a crash between delivery and marking it done repeats it).
import type { Migration } from "./migration.js";

export const migration0003Outbox: Migration = {
  version: 3,
  name: "outbox",
  sql: `
CREATE TABLE outbox (
  id            TEXT    NOT NULL PRIMARY KEY,
  run_id        TEXT    NOT NULL,
  payload_json  TEXT    NOT NULL,
  created_ms    BIGINT  NOT NULL,
  delivered_ms  BIGINT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT
);
-- What is left to deliver, oldest first.
CREATE INDEX outbox_pending ON outbox (created_ms) WHERE delivered_ms IS NULL;
`,
};
