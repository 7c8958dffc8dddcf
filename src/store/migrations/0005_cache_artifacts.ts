// Caching, artifacts and sub-pipelines (docs/caching.md, docs/artifacts.md): the cache key a successful try
// was computed under, runs that bypass the cache, which tries' outputs live in the artifact store, and which
// run a sub-pipeline task started.
import type { Migration } from "./migration.js";

export const migration0005CacheArtifacts: Migration = {
  version: 5,
  name: "cache_artifacts",
  sql: `
-- Set on a try that really ran a cacheable task (never on a cache hit, so a TTL counts from the computation).
ALTER TABLE tries ADD COLUMN cache_key TEXT;
CREATE INDEX tries_cache_key ON tries (cache_key, ended_ms) WHERE cache_key IS NOT NULL;

-- Runs started with \`weir run --no-cache\`: their tasks never reuse a cached result.
CREATE TABLE run_settings (
  run_id    TEXT    NOT NULL PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  no_cache  INTEGER NOT NULL DEFAULT 0
);

-- One row per successful try whose output is in the artifact store; pruning goes by the runs' age.
CREATE TABLE artifact_refs (
  run_id      TEXT    NOT NULL,
  task_id     TEXT    NOT NULL,
  map_index   INTEGER NOT NULL,
  try_number  INTEGER NOT NULL,
  digest      TEXT    NOT NULL,
  size        BIGINT  NOT NULL,
  created_ms  BIGINT  NOT NULL,
  PRIMARY KEY (run_id, task_id, map_index, try_number)
);
CREATE INDEX artifact_refs_digest ON artifact_refs (digest);

-- A run started by a sub-pipeline task (p.pipeline), and the try that started it.
CREATE TABLE sub_runs (
  child_run_id      TEXT    NOT NULL PRIMARY KEY,
  parent_run_id     TEXT    NOT NULL,
  parent_task_id    TEXT    NOT NULL,
  parent_map_index  INTEGER NOT NULL,
  parent_try_number INTEGER NOT NULL,
  created_ms        BIGINT  NOT NULL
);
CREATE INDEX sub_runs_parent ON sub_runs (parent_run_id);
`,
};
