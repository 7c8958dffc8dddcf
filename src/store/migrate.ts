// Applies the missing steps of the migration chain in one transaction, under the dialect's migration lock, so
// two processes migrating at once apply each step exactly once (the second waits, then finds nothing to do).
// The same transaction makes sure the default pool exists, so every migrated store has one.
import { WeirError } from "../common/errors.js";
import type { Dialect } from "./dialect.js";
import { MIGRATIONS } from "./migrations/index.js";
import { seedDefaultPool } from "./pools.js";
import { CREATE_SCHEMA_MIGRATIONS, LIST_APPLIED_MIGRATIONS, RECORD_MIGRATION } from "./sql/migrations.js";

/** `defaultPoolSlots`: the default pool's size if it has to be created (an existing one is left alone). */
export async function migrateSchema(dialect: Dialect, nowMs: number, defaultPoolSlots: number): Promise<void> {
  await dialect.transaction(async (tx) => {
    await dialect.lockForMigration(tx);
    await tx.exec(CREATE_SCHEMA_MIGRATIONS);
    const rows = await tx.all<{ version: number }>(LIST_APPLIED_MIGRATIONS);
    const applied = new Set(rows.map((row) => Number(row.version)));
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new WeirError(
        "store_too_new",
        `The store at ${dialect.location} has schema version ${newest}, newer than this Weir (${known}): upgrade Weir.`,
        { input: false },
      );
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.run(RECORD_MIGRATION, [migration.version, migration.name, nowMs]);
    }
    await seedDefaultPool(tx, defaultPoolSlots, nowMs);
  });
}
