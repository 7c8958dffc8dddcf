// The store's public surface: the Store contract, the SQLite and Postgres openers and the URL-driven factory.
export type * from "./types.js";
export type * from "./sensor-types.js";
export type * from "./distributed-types.js";
export type { Dialect, SqlErrorKind, SqlParam, SqlRow, SqlSession, SqlStatement, SqlTransaction } from "./dialect.js";
export { SqlStore } from "./sql-store.js";
export { openSqliteStore, type SqliteOptions, type SqliteSynchronous } from "./sqlite/open-sqlite-store.js";
export { openPostgresStore, type PostgresOptions } from "./postgres/open-postgres-store.js";
export {
  describeStore,
  describeStoreLocation,
  openStore,
  resolveStoreLocation,
  SQLITE_FILE_NAME,
  type OpenStoreOptions,
  type StoreLocation,
} from "./open-store.js";
export { MIGRATIONS, type Migration } from "./migrations/index.js";
export { LATEST_SCHEMA_VERSION, type MigrationReport } from "./migrate.js";
export { DEFAULT_POOL_NAME, DEFAULT_POOL_SLOTS } from "./pools.js";
export { toRunDocument, type RunDocument } from "./run-document.js";
