// The store contract on real SQLite files (a temp directory per test), and what only SQLite has: the file,
// its settings, other processes reading and migrating it, and crash safety of committed transactions.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import { migration0001Init } from "../../src/store/migrations/0001_init.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import {
  COUNT_RUNNING_RUNS,
  GET_SCHEDULED_RUN_ID,
  LATEST_SCHEDULED_LOGICAL_DATE,
  LIST_ACTIVE_RUNS,
  listRunsSql,
  RUNS_BY_LOGICAL_DATE,
} from "../../src/store/sql/runs.js";
import { describeStore, describeStoreLocation, openStore, resolveStoreLocation } from "../../src/store/open-store.js";
import { openSqliteStore } from "../../src/store/sqlite/open-sqlite-store.js";
import { graph, newRun } from "./fixtures.js";
import { describeStoreContract } from "./store-contract.js";
import { describeDistributedContract } from "./distributed-contract.js";
import { describeSharedArtifactsContract } from "./shared-artifacts-contract.js";

const root = mkdtempSync(join(tmpdir(), "weir-store-"));
let counter = 0;
function freshDir(): string {
  const dir = join(root, `t${counter++}`);
  mkdirSync(dir);
  return dir;
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoreContract("sqlite", async () => {
  const store = openSqliteStore({ path: join(freshDir(), "weir.db") });
  await store.migrate();
  return store;
});

describeDistributedContract(
  "sqlite",
  async () => {
    const store = openSqliteStore({ path: join(freshDir(), "weir.db") });
    await store.migrate();
    return store;
  },
  { databaseClock: false, notifies: false },
);

describeSharedArtifactsContract("sqlite", async () => {
  const store = openSqliteStore({ path: join(freshDir(), "weir.db") });
  await store.migrate();
  return store;
});

describeStoreContract("sqlite (synchronous=FULL)", async () => {
  const store = openSqliteStore({ path: join(freshDir(), "weir.db"), synchronous: "FULL" });
  await store.migrate();
  return store;
});

const REPO = process.cwd();
const STORE_MODULE = join(REPO, "src/store/index.ts");

/** Runs an ES module script in a child node process (TypeScript through tsx); resolves with its exit. */
function runChild(script: string, args: string[] = []): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, ...args], {
      cwd: REPO,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("SQLite store", () => {
  it("creates the parent directory and the file in WAL mode", async () => {
    const path = join(freshDir(), "deep", "er", "weir.db");
    const store = openSqliteStore({ path });
    await store.migrate();
    await store.close();
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    db.close();
  });

  it("lets another process read what was committed", async () => {
    const path = join(freshDir(), "weir.db");
    const store = openSqliteStore({ path });
    await store.migrate();
    await store.savePipelineVersion(graph("p", "v1"), 1);
    await store.createRun(newRun({ id: "r1" }), 2);
    const script = `
      import Database from "better-sqlite3";
      const db = new Database(process.argv[1], { readonly: true });
      const run = db.prepare("SELECT state FROM runs WHERE id = 'r1'").get();
      const n = db.prepare("SELECT count(*) AS n FROM task_instances WHERE run_id = 'r1'").get().n;
      process.exit(run?.state === "queued" && n === 3 ? 0 : 1);`;
    const result = await runChild(script, [path]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    await store.close();
  });

  it("keeps committed transactions when the writing process is killed with SIGKILL", async () => {
    const path = join(freshDir(), "weir.db");
    const script = `
      import { openSqliteStore } from ${JSON.stringify(STORE_MODULE)};
      const store = openSqliteStore({ path: process.argv[1] });
      await store.migrate();
      await store.savePipelineVersion(${JSON.stringify(graph("p", "v1"))}, 1);
      await store.createRun(${JSON.stringify(newRun({ id: "r1" }))}, 2);
      await store.applyDecisions([{ runId: "r1", nowMs: 3, run: { from: "queued", to: "running" }, transitions: [], actions: [], timers: [] }]);
      process.kill(process.pid, "SIGKILL");`;
    const result = await runChild(script, [path]);
    expect(result.signal).toBe("SIGKILL");
    const store = openSqliteStore({ path });
    await store.migrate();
    expect(await store.getRun("r1")).toMatchObject({ state: "running", startedMs: 3 });
    expect(await store.listTaskInstances("r1")).toHaveLength(3);
    await store.close();
  });

  it("migrates once when several processes migrate the same new file at once", async () => {
    const path = join(freshDir(), "weir.db");
    const script = `
      import { openSqliteStore } from ${JSON.stringify(STORE_MODULE)};
      const store = openSqliteStore({ path: process.argv[1] });
      await store.migrate();
      await store.close();`;
    const results = await Promise.all([runChild(script, [path]), runChild(script, [path]), runChild(script, [path])]);
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM schema_migrations").get()).toEqual({ n: MIGRATIONS.length });
    db.close();
  });

  it("refuses a file that is not a database with a clear error", () => {
    const path = join(freshDir(), "weir.db");
    writeFileSync(path, "this is not a database, just some text that is long enough to fill a header".repeat(20));
    const error = errorOf(() => openSqliteStore({ path }));
    expect(error).toBeInstanceOf(WeirError);
    expect((error as WeirError).code).toBe("store_corrupt");
    expect((error as WeirError).message).toContain(path);
  });

  it("refuses a path it cannot open with a clear error", () => {
    const dir = freshDir();
    const error = errorOf(() => openSqliteStore({ path: dir }));
    expect(error).toBeInstanceOf(WeirError);
    expect((error as WeirError).code).toBe("store_unopenable");
    expect((error as WeirError).message).toContain(dir);
  });

  it("reports use after close as a store error", async () => {
    const store = openSqliteStore({ path: join(freshDir(), "weir.db") });
    await store.migrate();
    await store.close();
    await store.close();
    await expect(store.getRun("r1")).rejects.toMatchObject({ code: "store_closed" });
  });

  it("creates the default pool with the configured size on a new file", async () => {
    const store = openSqliteStore({ path: join(freshDir(), "weir.db") });
    await store.migrate({ defaultPoolSlots: 8 });
    expect(await store.listPools()).toEqual([expect.objectContaining({ name: "default", slots: 8, description: expect.any(String) })]);
    await store.close();
  });

  it("upgrades a database of schema version 1, keeping its runs", async () => {
    const path = join(freshDir(), "weir.db");
    const db = new Database(path);
    db.exec(migration0001Init.sql);
    db.exec("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)");
    db.prepare("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (1, 'init', 0)").run();
    db.close();
    const old = openSqliteStore({ path });
    // Version 1 has no pools table: write v1 data through verbs that existed then, before migrating.
    await old.savePipelineVersion(graph("p", "v1"), 1);
    await old.createRun(newRun({ id: "s1", trigger: "scheduled" }), 2);
    await old.close();

    const store = openSqliteStore({ path });
    await store.migrate();
    expect(await store.getRun("s1")).toMatchObject({ state: "queued", trigger: "scheduled" });
    expect(await store.latestScheduledLogicalDate("p")).toBe(newRun({ id: "x" }).logicalDateMs);
    expect((await store.getPool("default"))?.slots).toBe(128);
    expect((await store.createRuns([newRun({ id: "s2", trigger: "scheduled" })], 3))[0]).toEqual({ id: "s1", created: false });
    await store.close();
  });

  it("answers the scheduler's queries from indexes, never scanning runs", async () => {
    const path = join(freshDir(), "weir.db");
    const store = openSqliteStore({ path });
    await store.migrate();
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (sql: string, params: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail).join("; ");
    expect(plan(LATEST_SCHEDULED_LOGICAL_DATE, ["p"])).toMatch(/^SEARCH runs USING COVERING INDEX runs_scheduled_logical_date/);
    expect(plan(GET_SCHEDULED_RUN_ID, ["p", 1])).toContain("INDEX runs_scheduled_logical_date");
    expect(plan(COUNT_RUNNING_RUNS, ["p"])).toContain("COVERING INDEX runs_state_pipeline (state=? AND pipeline_id=?)");
    expect(plan(LIST_ACTIVE_RUNS, [])).toContain("INDEX runs_state_pipeline");
    expect(plan(RUNS_BY_LOGICAL_DATE, ["p", 1, 2])).toContain("INDEX runs_pipeline_logical_date");
    const byBackfill = listRunsSql({ backfillId: "b", states: ["running"], limit: 10 });
    expect(plan(byBackfill.sql, byBackfill.params)).toContain("INDEX runs_backfill_state");
    const page = listRunsSql({ pipelineId: "p", before: { createdMs: 1, logicalDateMs: 1, id: "x" }, limit: 10 });
    expect(plan(page.sql, page.params)).toContain("INDEX runs_pipeline_created");
    db.close();
  });

  it("refuses a database migrated by a newer Weir", async () => {
    const path = join(freshDir(), "weir.db");
    const store = openSqliteStore({ path });
    await store.migrate();
    await store.close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (999, 'future', 0)").run();
    db.close();
    const again = openSqliteStore({ path });
    await expect(again.migrate()).rejects.toMatchObject({ code: "store_too_new" });
    await again.close();
  });
});

describe("openStore", () => {
  it("defaults to weir.db in the home directory", async () => {
    const home = join(freshDir(), ".weir");
    const store = await openStore(undefined, home);
    await store.migrate();
    expect(store.dialect).toBe("sqlite");
    expect(describeStore(store)).toBe(`SQLite database ${join(home, "weir.db")}`);
    await store.close();
    expect(existsSync(join(home, "weir.db"))).toBe(true);
  });

  it("opens sqlite:// URLs and plain paths", async () => {
    const dir = freshDir();
    expect(resolveStoreLocation(`sqlite://${dir}/a.db`, "/home")).toEqual({ dialect: "sqlite", path: `${dir}/a.db` });
    expect(resolveStoreLocation(`${dir}/b.db`, "/home")).toEqual({ dialect: "sqlite", path: `${dir}/b.db` });
    expect(resolveStoreLocation("rel/c.db", "/home")).toEqual({ dialect: "sqlite", path: join(process.cwd(), "rel/c.db") });
    const store = await openStore(`sqlite://${dir}/a.db`, "/nonexistent-home");
    await store.migrate();
    await store.close();
    expect(existsSync(join(dir, "a.db"))).toBe(true);
  });

  it("rejects unknown schemes, and names Postgres URLs without their password", async () => {
    await expect(openStore("mysql://db/weir", "/home")).rejects.toMatchObject({ code: "store_url_invalid" });
    expect(describeStoreLocation(resolveStoreLocation("postgres://weir:secret@db/weir", "/home"))).toBe(
      "Postgres database postgres://weir:***@db/weir",
    );
  });
});
