// Applies the missing steps of the migration chain in one transaction, under the dialect's migration lock, so
// two processes migrating at once apply each step exactly once (the second waits, then finds nothing to do).
// The same transaction makes sure the default pool exists, so every migrated store has one.
import { WeirError } from "../common/errors.js";
import type { Dialect } from "./dialect.js";
import { MIGRATIONS } from "./migrations/index.js";
import { seedDefaultPool } from "./pools.js";
import { CREATE_SCHEMA_MIGRATIONS, LIST_APPLIED_MIGRATIONS, RECORD_MIGRATION } from "./sql/migrations.js";

/** The schema version this code knows: the last step of the chain. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Versions before and after a migrate: `applied` lists the steps this call ran (empty: already current). */
export interface MigrationReport {
  from: number;
  to: number;
  applied: number[];
}

/** `defaultPoolSlots`: the default pool's size if it has to be created (an existing one is left alone). */
export async function migrateSchema(dialect: Dialect, nowMs: number, defaultPoolSlots: number): Promise<MigrationReport> {
  return dialect.transaction(async (tx) => {
    // Before anything else, even CREATE TABLE IF NOT EXISTS: two Postgres sessions creating the same table at
    // once can both pass the IF NOT EXISTS and one then fails on the catalog's unique index.
    await dialect.lockForMigration(tx);
    await tx.exec(CREATE_SCHEMA_MIGRATIONS);
    const rows = await tx.all<{ version: number }>(LIST_APPLIED_MIGRATIONS);
    const applied = new Set(rows.map((row) => Number(row.version)));
    const newest = Math.max(0, ...applied);
    if (newest > LATEST_SCHEMA_VERSION) throw tooNew(dialect, newest);
    const ran: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migrationSql(dialect, migration));
      await tx.run(RECORD_MIGRATION, [migration.version, migration.name, nowMs]);
      ran.push(migration.version);
    }
    await seedDefaultPool(tx, defaultPoolSlots, nowMs);
    return { from: newest, to: Math.max(newest, ...ran), applied: ran };
  });
}

/**
 * With automatic migration turned off (WEIR_AUTO_MIGRATE=0): checks that the schema is exactly this code's,
 * changing nothing, and says to run `weir db migrate` when it is behind.
 */
export async function checkSchema(dialect: Dialect): Promise<void> {
  const current = await schemaVersion(dialect);
  if (current > LATEST_SCHEMA_VERSION) throw tooNew(dialect, current);
  if (current < LATEST_SCHEMA_VERSION) {
    throw new WeirError(
      "store_outdated",
      `The store at ${dialect.location} has schema version ${current}, this Weir needs ${LATEST_SCHEMA_VERSION}: run \`weir db migrate\` (automatic migration is off: WEIR_AUTO_MIGRATE=0).`,
    );
  }
}

/** The newest applied step, 0 for a database Weir never migrated. */
export async function schemaVersion(dialect: Dialect): Promise<number> {
  let rows: { version: number }[];
  try {
    rows = await dialect.session.all<{ version: number }>(LIST_APPLIED_MIGRATIONS);
  } catch (error) {
    // No schema_migrations table: nothing was ever migrated. Anything else (a lost connection) is real.
    if (error instanceof WeirError) throw error;
    return 0;
  }
  return Math.max(0, ...rows.map((row) => Number(row.version)));
}

/** A step's SQL for this database: its per-dialect override where the shared SQL can't serve both. */
function migrationSql(dialect: Dialect, migration: (typeof MIGRATIONS)[number]): string {
  return migration.overrides?.[dialect.name] ?? migration.sql;
}

function tooNew(dialect: Dialect, version: number): WeirError {
  return new WeirError(
    "store_too_new",
    `The store at ${dialect.location} has schema version ${version}, newer than this Weir (${LATEST_SCHEMA_VERSION}): upgrade Weir.`,
    { input: false },
  );
}
