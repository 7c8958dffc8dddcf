// Opens the Store on a SQLite file (the embedded default of `weir dev` and `weir run`).
import { SqlStore } from "../sql-store.js";
import { SqliteDialect, type SqliteOptions } from "./sqlite-dialect.js";

export type { SqliteOptions, SqliteSynchronous } from "./sqlite-dialect.js";

/**
 * Opens (creating if needed) a SQLite store: WAL, synchronous=NORMAL unless FULL is asked for, busy_timeout
 * 5000 ms, foreign keys on. Call `migrate()` before use (`autoMigrate: false`: it only checks the schema). Throws a WeirError (`store_unopenable`,
 * `store_corrupt`) when the file can't be opened or isn't a database.
 */
export function openSqliteStore(options: SqliteOptions, storeOptions: { autoMigrate?: boolean } = {}): SqlStore {
  return new SqlStore(SqliteDialect.open(options), storeOptions);
}
