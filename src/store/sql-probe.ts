// The SQL sensor's query (docs/sensors.md): run by the trigger loop against the user's database, here because
// SQL drivers live only in the store. Read-only where the driver allows it, bounded by a timeout, one
// connection per check (a poke every minute doesn't need a pool).
import Database from "better-sqlite3";
import type { SqlProbe } from "../define/sensor.js";

/** The first row the query returns (null: none). Throws the driver's error (a bad query, no such file). */
export async function runSqlProbe(probe: SqlProbe, timeoutMs: number): Promise<Record<string, unknown> | null> {
  if (/^postgres(ql)?:\/\//.test(probe.url)) return runPostgres(probe, timeoutMs);
  return runSqlite(probe, timeoutMs);
}

async function runPostgres(probe: SqlProbe, timeoutMs: number): Promise<Record<string, unknown> | null> {
  const { default: pg } = await import("pg"); // on demand, as in open-store.ts
  const client = new pg.Client({ connectionString: probe.url, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, query_timeout: timeoutMs });
  // A connection dropped by the server after the check is no one's problem.
  client.on("error", () => {});
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(probe.query, probe.params);
    return result.rows[0] ?? null;
  } finally {
    await client.end().catch(() => {});
  }
}

function runSqlite(probe: SqlProbe, timeoutMs: number): Promise<Record<string, unknown> | null> {
  const path = probe.url.replace(/^sqlite:(\/\/)?/, "");
  // Synchronous, so a slow query holds the loop for its length: the busy timeout bounds waiting for a lock, and
  // a query against a local file is expected to be quick (docs/sensors.md says so).
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: timeoutMs });
  try {
    const row = db.prepare(probe.query).get(...probe.params) as Record<string, unknown> | undefined;
    return Promise.resolve(row ?? null);
  } finally {
    db.close();
  }
}
