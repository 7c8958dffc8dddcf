// The store contract on real Postgres (a database per file cloned from the migrated template), and what only
// Postgres has: the URL, connection failures, the database's clock for leases, migrations from two processes.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { describeStore, openStore } from "../../src/store/open-store.js";
import { SpeculationFailed } from "../../src/store/batched-writes.js";
import { mergeWrites } from "../../src/store/postgres/bulk-writes.js";
import { PostgresDialect } from "../../src/store/postgres/postgres-dialect.js";
import { numberPlaceholders } from "../../src/store/postgres/statement-text.js";
import { TRANSITION_INSTANCE } from "../../src/store/sql/instances.js";
import { SqlStore } from "../../src/store/sql-store.js";
import { emptyPostgresStores, freshPostgresUrl, withClient } from "../support/postgres.js";
import { decision, graph, move, newRun } from "./fixtures.js";
import { describeStoreContract } from "./store-contract.js";
import { describeDistributedContract } from "./distributed-contract.js";
import { describeSharedArtifactsContract } from "./shared-artifacts-contract.js";

let clockUrl: Promise<string> | undefined;

/** The database server's clock, as the lease verbs read it. */
async function databaseNowMs(): Promise<number> {
  clockUrl ??= freshPostgresUrl();
  return withClient(await clockUrl, async (client) => {
    const { rows } = await client.query<{ now: string }>("SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint AS now");
    return Number(rows[0]!.now);
  });
}

describeStoreContract("postgres", emptyPostgresStores(), { databaseNowMs });
describeDistributedContract("postgres", emptyPostgresStores(), { databaseClock: true, notifies: true });
describeSharedArtifactsContract("postgres", emptyPostgresStores());

const REPO = process.cwd();
const STORE_MODULE = join(REPO, "src/store/index.ts");

function runChild(script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, ...args], { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

async function tableNames(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1");
    return rows.map((r) => r.tablename);
  });
}

describe("Postgres store", () => {
  it("is what WEIR_DATABASE_URL=postgres://… opens, named without its password", async () => {
    const url = await freshPostgresUrl();
    const store = await openStore(url, "/nonexistent-home");
    try {
      await store.migrate();
      expect(store.dialect).toBe("postgres");
      const password = new URL(url).password;
      expect(describeStore(store)).toMatch(/^Postgres database postgres:\/\//);
      if (password !== "") expect(describeStore(store)).not.toContain(password);
      await store.savePipelineVersion(graph("p", "v1"), 1);
      expect((await store.createRun(newRun({ id: "r1" }), 2)).created).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("fails to open with one clear error when the server can't be reached, naming it without the password", async () => {
    const error = await openStore("postgres://weir:secret@127.0.0.1:1/weir", "/home").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "store_unopenable" });
    expect((error as Error).message).toContain("postgres://weir:***@127.0.0.1:1/weir");
    expect((error as Error).message).not.toContain("secret");
  });

  it("migrates once when several processes migrate the same new database at once", async () => {
    const url = await freshPostgresUrl({ migrated: false });
    const script = `
      import { openStore } from ${JSON.stringify(STORE_MODULE)};
      const store = await openStore(process.argv[1], "/nonexistent-home");
      await store.migrate();
      await store.close();`;
    const results = await Promise.all([1, 2, 3, 4].map(() => runChild(script, [url])));
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
    await withClient(url, async (client) => {
      const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const pools = await client.query<{ name: string }>("SELECT name FROM pools");
      expect(pools.rows).toEqual([{ name: "default" }]);
    });
  });

  it("with automatic migration off, only checks the schema until it is migrated explicitly", async () => {
    const url = await freshPostgresUrl({ migrated: false });
    const store = await openStore(url, "/home", { autoMigrate: false });
    try {
      await expect(store.migrate()).rejects.toMatchObject({ code: "store_outdated", message: expect.stringContaining("weir db migrate") });
      expect(await tableNames(url)).toEqual([]);
      expect(store).toBeInstanceOf(SqlStore);
      const latest = MIGRATIONS.at(-1)!.version;
      expect(await (store as SqlStore).migrateNow()).toEqual({ from: 0, to: latest, applied: MIGRATIONS.map((m) => m.version) });
      await store.migrate();
      expect(await (store as SqlStore).migrateNow()).toEqual({ from: latest, to: latest, applied: [] });
    } finally {
      await store.close();
    }
  });

  it("runs a batch of statements pipelined (one write, one round trip), in order, and recovers its prepared statements after a failed batch", async () => {
    const url = await freshPostgresUrl();
    // One connection, so every batch lands on the same session and its prepared statements.
    const dialect = await PostgresDialect.open({ url, poolSize: 1 });
    const insert = "INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ?)";
    const renew = "UPDATE leases SET expires_ms = ? WHERE name = ? AND owner = ?";
    try {
      const counts = await dialect.transaction(async (tx) =>
        tx.runMany!([
          { sql: insert, params: ["a", "it's", -1] },
          { sql: insert, params: ["b", "back\\slash", 2] },
          { sql: renew, params: [5, "a", "nobody"] },
          { sql: renew, params: [6, "a", "it's"] },
          // A statement ending in a line comment doesn't swallow the one after it.
          { sql: "UPDATE leases SET owner = owner WHERE name = ? -- the end", params: ["a"] },
          { sql: renew, params: [7, "b", "back\\slash"] },
        ]),
      );
      expect(counts).toEqual([1, 1, 0, 1, 1, 1]);
      // A batch that fails after preparing a new statement: rolled back, and the next batch still works.
      const release = "DELETE FROM leases WHERE name = ? AND owner = ?";
      const failed = await dialect
        .transaction(async (tx) => tx.runMany!([{ sql: release, params: ["a", "it's"] }, { sql: insert, params: ["b", "dup", 1] }]))
        .catch((e: unknown) => e);
      expect(dialect.classifyError(failed)).toBe("unique_violation");
      expect(await dialect.transaction(async (tx) => tx.runMany!([{ sql: release, params: ["a", "it's"] }]))).toEqual([1]);
      const rows = await dialect.session.all<{ name: string; owner: string; expires_ms: number }>("SELECT name, owner, expires_ms FROM leases ORDER BY name");
      expect(rows).toEqual([{ name: "b", owner: "back\\slash", expires_ms: 7 }]);
    } finally {
      await dialect.close();
    }
  });

  it("checks on the server the writes a batch expects one row from: a wrong count fails the batch, even when its COMMIT went out behind it", async () => {
    const dialect = await PostgresDialect.open({ url: await freshPostgresUrl(), poolSize: 1 });
    const insert = "INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ?)";
    const renew = "UPDATE leases SET expires_ms = ? WHERE name = ? AND owner = ?";
    try {
      // Every statement expected to change one row: the counts are answered at once, the COMMIT follows.
      expect(await dialect.transaction(async (tx) => tx.runMany!([{ sql: insert, params: ["a", "x", 1] }, { sql: renew, params: [2, "a", "x"] }], 2))).toEqual([1, 1]);
      const failed = await dialect
        .transaction(async (tx) => tx.runMany!([{ sql: renew, params: [3, "a", "x"] }, { sql: renew, params: [4, "a", "nobody"] }], 2))
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(SpeculationFailed);
      expect((failed as SpeculationFailed).what).toMatch(/changed 0 rows where 1 were expected/);
      // Nothing of the failed batch committed, and the connection goes on.
      expect(await dialect.session.all("SELECT name, owner, expires_ms FROM leases")).toEqual([{ name: "a", owner: "x", expires_ms: 2 }]);
      expect(await dialect.transaction(async (tx) => tx.runMany!([{ sql: renew, params: [5, "a", "x"] }], 1))).toEqual([1]);
    } finally {
      await dialect.close();
    }
  });

  it("sends BEGIN with a transaction's first statement; a first statement that fails rolls back and leaves the connection usable", async () => {
    const dialect = await PostgresDialect.open({ url: await freshPostgresUrl(), poolSize: 1 });
    const insert = "INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ?)";
    try {
      await dialect.transaction(async (tx) => tx.run(insert, ["a", "x", 1]));
      const failed = await dialect.transaction(async (tx) => tx.run(insert, ["a", "y", 2])).catch((e: unknown) => e);
      expect(dialect.classifyError(failed)).toBe("unique_violation");
      // Read and written in one transaction, the read first (BEGIN went out with it).
      const seen = await dialect.transaction(async (tx) => {
        const before = await tx.all<{ owner: string }>("SELECT owner FROM leases WHERE name = ?", ["a"]);
        await tx.run("UPDATE leases SET owner = ? WHERE name = ?", ["z", "a"]);
        return before.map((r) => r.owner);
      });
      expect(seen).toEqual(["x"]);
      expect(await dialect.session.all("SELECT name, owner, expires_ms FROM leases")).toEqual([{ name: "a", owner: "z", expires_ms: 1 }]);
    } finally {
      await dialect.close();
    }
  });

  it("writes a batch's hot writes set-based whatever their text, and redoes one whose merged write missed a row", async () => {
    const store = await openStore(await freshPostgresUrl(), "/nonexistent-home");
    // Nine: at least MIN_MERGED_ROWS writes of a kind are merged.
    const ids = ["a", 'b"q', "c\\d", "e,{f}", "NULL", "f'g", "h i", "(j)", "k;l"];
    try {
      await store.migrate();
      await store.savePipelineVersion(graph("p", "v1", ids), 1);
      await store.createRun(newRun({ id: "r1", taskIds: ids }), 2);
      const started = await store.applyDecisions([
        decision("r1", 10, ids.map((id) => move(id, "pending", "scheduled", 0)), { from: "queued", to: "running" }),
        decision("r1", 20, ids.flatMap((id) => [move(id, "scheduled", "queued", 1), move(id, "queued", "running", 1, { worker: `w'${id}` })])),
      ]);
      expect(started.conflicts).toEqual([]);
      const outputs = ids.map((id, i) => JSON.stringify({ id, text: `say "hi" \\ {${i}}, NULL é` }));
      const ended = await store.applyDecisions(ids.map((id, i) => decision("r1", 30, [move(id, "running", "success", 1, { output: outputs[i] })])));
      expect(ended).toEqual({ applied: ids.map((_, i) => i), conflicts: [] });
      expect(await store.getOutputs("r1", ids)).toEqual(new Map(ids.map((id, i) => [id, outputs[i]])));
      expect((await store.listTries("r1")).map((t) => [t.taskId, t.state, t.worker, t.startedMs, t.endedMs])).toEqual(
        ids.map((id) => [id, "success", `w'${id}`, 20, 30]).sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
      );

      // Nine writes of one kind in one batch, the second one stale: merged, they change 8 rows of 9, so the
      // batch is redone decision by decision and only the stale one is a conflict.
      await store.createRun(newRun({ id: "r2", taskIds: ids }), 40);
      const mixed = await store.applyDecisions(ids.map((id, i) => decision("r2", 50, [i === 1 ? move(id, "running", "success", 1) : move(id, "pending", "scheduled", 0)])));
      expect(mixed.applied).toEqual(ids.map((_, i) => i).filter((i) => i !== 1));
      expect(mixed.conflicts.map((c) => c.index)).toEqual([1]);
      expect((await store.listTaskInstances("r2")).filter((i) => i.state === "scheduled").map((i) => i.taskId).sort()).toEqual(ids.filter((_, i) => i !== 1).sort());
    } finally {
      await store.close();
    }
  });
  it("finds the rows of a merged write through the primary key even where the statistics predate the run", async () => {
    // The statistics are taken while the table holds one small run; then a large run arrives (W5's 100,000
    // tasks). A key or guard sent as a constant would be judged by those statistics ("run r1: no rows") and
    // make the planner scan and hash the whole run, or loop over it once per row (docs/postgres.md).
    const url = await freshPostgresUrl();
    const store = await openStore(url, "/nonexistent-home");
    try {
      await store.migrate();
      await store.savePipelineVersion(graph("p", "v1", ["a"]), 1);
      await store.createRun(newRun({ id: "r0", taskIds: ["a"] }), 1);
      await store.createRun(newRun({ id: "r1", taskIds: ["a"] }), 1);
      const writes = Array.from({ length: 40 }, (_, i) => ({ sql: TRANSITION_INSTANCE, params: ["scheduled", 0, null, null, "r1", `t${i}`, -1, "pending", 0] }));
      const [unit] = mergeWrites(writes, writes.length);
      const plan = await withClient(url, async (client) => {
        await client.query("ANALYZE task_instances");
        await client.query("INSERT INTO task_instances (run_id, task_id, map_index, state, try_number, cached) SELECT 'r1', 't' || g, -1, 'pending', 0, 0 FROM generate_series(0, 19999) AS g");
        const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${numberPlaceholders(unit!.statement.sql)}`, unit!.statement.params as unknown[]);
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
      // Every value is in the join, none is a condition on the table by itself.
      expect(plan).not.toMatch(/'r1'|'pending'|\(state = |Seq Scan|Hash/);
      expect(plan).toMatch(/Nested Loop[\s\S]*Index Scan using task_instances_pkey on task_instances t\s[\s\S]*Index Cond: \(\(run_id = u\.run_id\) AND \(task_id = u\.task_id\) AND \(map_index = u\.map_index\)\)/);
      // And it changes the 40 rows, one each.
      const applied = await store.applyDecisions(writes.map((w) => decision("r1", 5, [move(String(w.params[5]), "pending", "scheduled", 0)])));
      expect(applied.conflicts).toEqual([]);
      expect((await store.listTaskInstances("r1")).filter((i) => i.state === "scheduled")).toHaveLength(40);
    } finally {
      await store.close();
    }
  });
});
