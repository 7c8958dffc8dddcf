// Test files' side of the Postgres harness (the server comes from postgres-server.ts, a vitest globalSetup):
// a fresh database per test file cloned from the migrated template, and stores on it.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openPostgresStore } from "../../src/store/postgres/open-postgres-store.js";
import type { Store } from "../../src/store/types.js";
import { databaseUrl, type PostgresTestServer } from "./postgres-url.js";

function server(): PostgresTestServer {
  const provided = inject("weirPostgres");
  // Never a skip: a run without Postgres fails where Postgres is needed.
  if (provided === undefined) throw new Error("No Postgres for the tests: vitest.config.ts must list test/support/postgres-server.ts in globalSetup.");
  if (provided === null) {
    throw new Error(
      "This test run started no Postgres: no selected test file mentions postgres or test-stores (test/support/postgres-server.ts decides). Import test/support/postgres.ts or test-stores.ts from the test file, or set WEIR_TEST_POSTGRES=1.",
    );
  }
  return provided;
}

/**
 * A new database cloned from the migrated template (`migrated: false`: a database Weir never saw); its URL.
 * Dropped with the server (or by the teardown on an external one).
 */
export async function freshPostgresUrl(options: { migrated?: boolean } = {}): Promise<string> {
  const { adminUrl, template, prefix } = server();
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const from = options.migrated === false ? "template0" : template;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${from}`));
  return databaseUrl(adminUrl, name);
}

/**
 * For suites that want an empty, migrated store per test (the store contract): one database for the file,
 * emptied before each store is opened, which is much cheaper than a database per test.
 */
export function emptyPostgresStores(): () => Promise<Store> {
  let url: Promise<string> | undefined;
  return async () => {
    url ??= freshPostgresUrl();
    const at = await url;
    await emptyDatabase(at);
    const store = await openPostgresStore({ url: at, poolSize: 4 });
    await store.migrate();
    return store;
  };
}

/** Every table but the migration history, emptied; the next migrate() seeds the default pool again. */
export async function emptyDatabase(url: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`,
    );
    if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((r) => pg.escapeIdentifier(r.tablename)).join(", ")} CASCADE`);
  });
}

/** A single connection for what the store has no verb for (the database's clock, its statistics). */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
