// The small surface a database must offer the one SQL store (STYLE: "one store implementation over a small
// Dialect"). Everything that differs between SQLite and Postgres — placeholders, how a transaction is begun
// and serialized, the migration lock, error classification — sits behind it; the SQL itself is shared.

/** A bound parameter. Booleans are stored as 0/1 integers and JSON as text, the same on both databases. */
export type SqlParam = string | number | null;

/** A row as the driver returns it: column name → value. Mapped to records in `records.ts`. */
export type SqlRow = Record<string, unknown>;

/**
 * Runs statements. SQL is written once with `?` placeholders; a dialect rewrites them if it needs to
 * (Postgres: `$1, $2, …`) and caches the prepared statement by its text.
 */
export interface SqlSession {
  all<R extends SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
  get<R extends SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<R | undefined>;
  /** Runs a write; resolves to the number of rows it changed (the guard of a guarded write). */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

/** One statement with its parameters, for a batch sent at once (`SqlTransaction.runMany`). */
export interface SqlStatement {
  sql: string;
  params: readonly SqlParam[];
}

export interface SqlTransaction extends SqlSession {
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` inside a savepoint: released when `fn` resolves, rolled back to (and the error rethrown) when it
   * rejects. The work done before the savepoint stays in the transaction either way.
   */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs the statements in order in one round trip and resolves to each one's changed rows; a failing one
   * rejects and leaves the transaction to be rolled back. Present only where a round trip is costly
   * (Postgres); callers that can batch their writes use it when it is there. The first `expectOne` statements
   * are each expected to change exactly one row: the dialect may write several of them with one statement,
   * and then reports -1 (unknown) for each of those when their total is not one row apiece.
   */
  runMany?(statements: readonly SqlStatement[], expectOne?: number): Promise<number[]>;
}

/**
 * Runs the statements in order, their counts unread: in one round trip where the transaction batches
 * (`runMany`), else one by one.
 */
export async function runAll(tx: SqlTransaction, statements: readonly SqlStatement[]): Promise<void> {
  if (tx.runMany) await tx.runMany(statements);
  else for (const s of statements) await tx.run(s.sql, s.params);
}

/** What a driver error means to the store, independent of the database's own error codes. */
export type SqlErrorKind = "unique_violation" | "foreign_key_violation" | "busy" | "corrupt" | "other";

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** Where the data lives, for messages: a file path or a URL without its password. */
  readonly location: string;
  /** Most parameters one statement may bind (multi-row inserts are chunked below it). */
  readonly maxParams: number;
  /**
   * SQL evaluating to the database's clock in epoch ms, for the guards that processes on several machines must
   * agree on (leases, DESIGN.md §7); null where the caller's clock is the one to use (SQLite: one scheduler per
   * file, so the scheduler's clock decides — and tests can simulate it).
   */
  readonly databaseClockMs: string | null;
  /** Statements outside a transaction (each one atomic on its own). */
  readonly session: SqlSession;
  /**
   * Runs `fn` in one write transaction: committed when `fn` resolves, rolled back when it rejects. A dialect
   * whose connection is shared (SQLite) serializes transactions and statements so that nothing else runs on
   * the connection meanwhile; SQLite begins with `BEGIN IMMEDIATE` so writers queue on busy_timeout instead of
   * failing to upgrade a read lock. Postgres runs `fn` again from the start after a deadlock or serialization
   * failure, so `fn` must keep its effects inside the transaction (build results inside it, not in outer state).
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Inside a migration transaction: waits until no other process is migrating. SQLite's `BEGIN IMMEDIATE`
   * already holds the database's write lock; Postgres takes a transaction-scoped advisory lock.
   */
  lockForMigration(tx: SqlTransaction): Promise<void>;
  classifyError(error: unknown): SqlErrorKind;
  /**
   * Postgres only: LISTENs on `channel` on a connection of its own and calls `onNotify` for each NOTIFY;
   * resolves to how to stop (close() stops every listener too). Absent where there is nothing to listen to
   * (SQLite: callers poll).
   */
  listen?(channel: string, onNotify: () => void): Promise<() => void>;
  close(): Promise<void>;
}
