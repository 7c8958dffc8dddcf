// The indexes of `runs` and the plans that depend on them, on a store with a history (run-index-fixture.ts).
// Every index of runs is paid for by every run created (the scheduler's minute of due runs, catch-up,
// backfills, triggers), so the set is pinned: each index below is there because a query here needs it, and
// none is a prefix of another (checked when issue 3 asked which could go to make creating runs cheaper).
// The plans: each query that reads runs seeks an index on SQLite (whose planner, with no ANALYZE ever run,
// picks the same plan whatever the data) and, for the hot ones, on Postgres after ANALYZE.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numberPlaceholders } from "../../src/store/postgres/statement-text.js";
import { PRUNABLE_ARTIFACTS } from "../../src/store/sql/cache-artifacts.js";
import { pendingUpstreamRunsSql, RUN_AT_LOGICAL_DATE, successfulRunsAtSql } from "../../src/store/sql/events.js";
import { LIST_PENDING_OUTBOX } from "../../src/store/sql/outbox.js";
import { ACTIVE_INSTANCE_COUNTS, backfillRunCountsSql } from "../../src/store/sql/queries-api.js";
import * as R from "../../src/store/sql/runs.js";
import { RUN_AT_DATE } from "../../src/store/sql/sensors.js";
import type { Store } from "../../src/store/types.js";
import { withClient } from "../support/postgres.js";
import { newTestStoreLocation, STORE_KINDS, type StoreKind } from "../support/test-stores.js";
import { fillRunHistory, MINUTE, RUN_STATES_SQL, T0 } from "./run-index-fixture.js";

type Params = (string | number | null)[];

/** How each query that reads runs must be planned. `postgres`: the index it seeks there (hot queries only). */
interface PlannedQuery {
  name: string;
  sql: string;
  params: Params;
  /** A line of SQLite's EXPLAIN QUERY PLAN, from its start. */
  sqlite: string;
  postgres?: string;
}

function listRuns(name: string, query: Partial<R.ListRunsQuery>, sqlite: string, postgres?: string): PlannedQuery {
  const { sql, params } = R.listRunsSql({ limit: 51, ...query });
  return { name: `listRuns ${name}`, sql, params, sqlite, ...(postgres === undefined ? {} : { postgres }) };
}

const CURSOR = { createdMs: T0 + 20 * MINUTE, logicalDateMs: T0 + 19 * MINUTE, id: "scheduled_19_5" };

const QUERIES: PlannedQuery[] = [
  { name: "getRun", sql: R.GET_RUN, params: ["scheduled_3_4"], sqlite: "SEARCH runs USING INDEX sqlite_autoindex_runs_1 (id=?)", postgres: "runs_pkey" },
  {
    name: "createRuns: the scheduled run already there",
    sql: R.GET_SCHEDULED_RUN_ID,
    params: ["p4", T0],
    sqlite: "SEARCH runs USING INDEX runs_scheduled_logical_date (pipeline_id=? AND logical_date_ms=?)",
    postgres: "runs_scheduled_logical_date",
  },
  {
    name: "latestScheduledLogicalDate",
    sql: R.LATEST_SCHEDULED_LOGICAL_DATE,
    params: ["p4"],
    sqlite: "SEARCH runs USING COVERING INDEX runs_scheduled_logical_date (pipeline_id=?)",
    postgres: "runs_scheduled_logical_date",
  },
  {
    name: "runsByLogicalDate",
    sql: R.RUNS_BY_LOGICAL_DATE,
    params: ["p4", T0, T0 + 10 * MINUTE],
    sqlite: "SEARCH runs USING INDEX runs_pipeline_logical_date (pipeline_id=? AND logical_date_ms>? AND logical_date_ms<?)",
    postgres: "runs_pipeline_logical_date",
  },
  { name: "listActiveRuns", sql: R.LIST_ACTIVE_RUNS, params: [], sqlite: "SEARCH runs USING INDEX runs_state_pipeline (state=?)", postgres: "runs_state_pipeline" },
  {
    name: "countActiveRuns",
    sql: R.COUNT_RUNNING_RUNS,
    params: ["p4"],
    sqlite: "SEARCH runs USING COVERING INDEX runs_state_pipeline (state=? AND pipeline_id=?)",
    postgres: "runs_state_pipeline",
  },
  listRuns("of every pipeline (API, SSE)", {}, "SCAN runs USING INDEX runs_created", "runs_created"),
  listRuns("of every pipeline, next page", { before: CURSOR }, "SEARCH runs USING INDEX runs_created (created_ms<?)", "runs_created"),
  listRuns("of a pipeline (API, CLI)", { pipelineId: "p4", limit: 11 }, "SEARCH runs USING INDEX runs_pipeline_created (pipeline_id=?)", "runs_pipeline_created"),
  listRuns("of a pipeline, next page", { pipelineId: "p4", before: CURSOR }, "SEARCH runs USING INDEX runs_pipeline_created (pipeline_id=? AND created_ms<?)", "runs_pipeline_created"),
  listRuns("queued (the queued-run pass)", { states: ["queued"], limit: 10_000 }, "SEARCH runs USING INDEX runs_state_pipeline (state=?)", "runs_state_pipeline"),
  listRuns("by state (API)", { states: ["failed"] }, "SEARCH runs USING INDEX runs_state_pipeline (state=?)"),
  listRuns("of a backfill by state (next queued run)", { backfillId: "bf1", states: ["queued", "running"], limit: 1 }, "SEARCH runs USING INDEX runs_backfill_state (backfill_id=? AND state=?)", "runs_backfill_state"),
  listRuns("of a backfill (API)", { backfillId: "bf1" }, "SEARCH runs USING INDEX runs_backfill_state (backfill_id=?)"),
  listRuns("of a pipeline by logical date (API)", { pipelineId: "p4", logicalDateFromMs: T0, logicalDateToMs: T0 + 5 * MINUTE }, "SEARCH runs USING INDEX runs_pipeline_logical_date (pipeline_id=? AND logical_date_ms>? AND logical_date_ms<?)"),
  listRuns("running of a pipeline (sub-runs)", { pipelineId: "p4", states: ["running"] }, "SEARCH runs USING INDEX "),
  listRuns("active event runs of a pipeline (event triggers)", { pipelineId: "p4", trigger: "event", states: ["queued", "running"], limit: 1 }, "SEARCH runs USING INDEX "),
  { name: "backfillRunCounts", sql: backfillRunCountsSql(2), params: ["bf1", "bf2"], sqlite: "SEARCH runs USING COVERING INDEX runs_backfill_state (backfill_id=?)" },
  { name: "pool usage (active instances)", sql: ACTIVE_INSTANCE_COUNTS, params: [], sqlite: "SEARCH r USING INDEX runs_state_pipeline (state=?)" },
  { name: "event trigger: a run at the date", sql: RUN_AT_LOGICAL_DATE, params: ["p4", T0], sqlite: "SEARCH runs USING INDEX runs_pipeline_logical_date (pipeline_id=? AND logical_date_ms=?)", postgres: "runs_pipeline_logical_date" },
  { name: "sensor: the run at a date", sql: RUN_AT_DATE, params: ["p4", T0], sqlite: "SEARCH runs USING INDEX " },
  { name: "upstream runs not consumed", sql: pendingUpstreamRunsSql(2), params: ["p4", "p5", T0, "p9", 100], sqlite: "SEARCH r USING INDEX " },
  { name: "upstream runs at a date", sql: successfulRunsAtSql(2), params: ["p4", "p5", T0], sqlite: "SEARCH r USING INDEX " },
  { name: "claim runs by id", sql: R.claimUnownedRunsSql(3), params: ["me", "a", "b", "c"], sqlite: "SEARCH runs USING INDEX sqlite_autoindex_runs_1 (id=?)" },
  { name: "end a run", sql: R.END_RUN, params: ["success", T0, "scheduled_3_4", "running"], sqlite: "SEARCH runs USING INDEX sqlite_autoindex_runs_1 (id=?)" },
  { name: "outbox with its runs", sql: LIST_PENDING_OUTBOX, params: [10], sqlite: "SEARCH r USING INDEX sqlite_autoindex_runs_1 (id=?)" },
  { name: "prunable artifacts", sql: PRUNABLE_ARTIFACTS, params: [T0], sqlite: "SEARCH r USING INDEX sqlite_autoindex_runs_1 (id=?)" },
];

/** The indexes of runs and task_instances, by name, on each database: a new one is a cost every run pays. */
const RUN_INDEXES = ["runs_backfill_state", "runs_created", "runs_pipeline_created", "runs_pipeline_logical_date", "runs_scheduled_logical_date", "runs_state_pipeline"];
const PRIMARY_KEYS: Record<StoreKind, { runs: string; instances: string }> = {
  sqlite: { runs: "sqlite_autoindex_runs_1", instances: "sqlite_autoindex_task_instances_1" },
  postgres: { runs: "runs_pkey", instances: "task_instances_pkey" },
};

interface Raw {
  exec(sql: string): Promise<void>;
  explain(sql: string, params: Params): Promise<string[]>;
  indexesOf(table: string): Promise<string[]>;
}

function sqliteRaw(path: string): Raw {
  return {
    exec: async (sql) => {
      const db = new Database(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    explain: async (sql, params) => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
      } finally {
        db.close();
      }
    },
    indexesOf: async (table) => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name").all(table) as { name: string }[]).map((r) => r.name);
      } finally {
        db.close();
      }
    },
  };
}

function postgresRaw(url: string): Raw {
  return {
    exec: (sql) => withClient(url, async (client) => void (await client.query(sql))),
    explain: (sql, params) =>
      withClient(url, async (client) => {
        const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN (COSTS OFF) ${numberPlaceholders(sql)}`, params);
        return rows.map((r) => r["QUERY PLAN"]);
      }),
    indexesOf: (table) =>
      withClient(url, async (client) => {
        const { rows } = await client.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname", [table]);
        return rows.map((r) => r.indexname);
      }),
  };
}

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

for (const kind of STORE_KINDS) {
  describe(`run indexes on ${kind}`, () => {
    let raw: Raw;
    let store: Store;
    beforeAll(async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-run-indexes-"));
      homes.push(home);
      const location = await newTestStoreLocation(kind, home);
      store = await location.open();
      await store.migrate();
      await fillRunHistory(store);
      raw = kind === "sqlite" ? sqliteRaw(join(home, "weir.db")) : postgresRaw(location.databaseUrl!);
      for (const sql of RUN_STATES_SQL) await raw.exec(sql);
      // Postgres plans by statistics, which autovacuum would gather soon after such a burst of writes.
      if (kind === "postgres") await raw.exec("ANALYZE");
    }, 120_000);
    afterAll(async () => {
      await store.close();
    });

    it("has exactly the indexes its queries need on runs, and only the primary key on task_instances", async () => {
      expect(await raw.indexesOf("runs")).toEqual([...RUN_INDEXES, PRIMARY_KEYS[kind].runs].sort());
      expect(await raw.indexesOf("task_instances")).toEqual([PRIMARY_KEYS[kind].instances]);
    });

    if (kind === "sqlite") {
      for (const query of QUERIES) {
        it(`plans ${query.name} on an index`, async () => {
          const plan = await raw.explain(query.sql, query.params);
          expect(plan.some((line) => line.startsWith(query.sqlite)), plan.join("\n")).toBe(true);
          // Only reading all runs in created order (a page of every pipeline) may walk the table's index from its end.
          for (const line of plan) if (!line.startsWith("SCAN runs USING INDEX runs_created")) expect(line).not.toMatch(/^SCAN (runs|r)\b/);
        });
      }
    } else {
      for (const query of QUERIES.filter((q) => q.postgres !== undefined)) {
        it(`plans ${query.name} on ${query.postgres}`, async () => {
          const plan = (await raw.explain(query.sql, query.params)).join("\n");
          expect(plan).toMatch(new RegExp(`(Index|Index Only|Bitmap Index) Scan( Backward)? (using|on) ${query.postgres}\\b`));
          expect(plan).not.toMatch(/Seq Scan on runs/);
        });
      }
    }
  });
}
