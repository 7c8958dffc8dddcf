// Artifacts that `weir worker`s on other machines share through the store (docs/distributed.md): a worker
// copies each large output it writes into these tables before it reports the success, and a worker, or the
// scheduler, that needs an object its own disk lacks copies it from here. An object is split into chunks of
// base64 text (a few MB each, portable between SQLite and Postgres and never one huge parameter); its row in
// shared_artifacts is written in the same transaction as its chunks, so a reader sees all of it or none.
import type { Migration } from "./migration.js";

export const migration0010SharedArtifacts: Migration = {
  version: 10,
  name: "shared_artifacts",
  sql: `
CREATE TABLE shared_artifacts (
  digest      TEXT    PRIMARY KEY,
  bytes       BIGINT  NOT NULL,
  chunks      INTEGER NOT NULL,
  created_ms  BIGINT  NOT NULL
);
CREATE TABLE shared_artifact_chunks (
  digest  TEXT    NOT NULL,
  seq     INTEGER NOT NULL,
  data    TEXT    NOT NULL,
  PRIMARY KEY (digest, seq)
);
`,
};
