// Opens the Store on a Postgres database (WEIR_DATABASE_URL=postgres://…): many schedulers, workers and
// servers on many machines share it.
import { SqlStore } from "../sql-store.js";
import { PostgresDialect, type PostgresOptions } from "./postgres-dialect.js";

export type { PostgresOptions } from "./postgres-dialect.js";

/**
 * Connects to the database and returns the store; call `migrate()` before use. Throws a WeirError
 * (`store_unopenable`) naming the URL without its password when the server can't be reached.
 */
export async function openPostgresStore(options: PostgresOptions, storeOptions: { autoMigrate?: boolean } = {}): Promise<SqlStore> {
  return new SqlStore(await PostgresDialect.open(options), storeOptions);
}
