// The SQLite dialect: one better-sqlite3 connection in WAL mode behind the async Dialect API. The driver is
// synchronous, so a transaction that awaits between statements would let other callers' statements slip into
// it; every transaction and statement therefore runs through one queue (a promise chain) on the connection.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { WeirError } from "../../common/errors.js";
import type { Dialect, SqlErrorKind, SqlParam, SqlRow, SqlSession, SqlTransaction } from "../dialect.js";

type Connection = Database.Database;
type Statement = Database.Statement<SqlParam[]>;

export type SqliteSynchronous = "NORMAL" | "FULL";

export interface SqliteOptions {
  /** The database file; its parent directory is created. `:memory:` for a throwaway database. */
  path: string;
  /**
   * NORMAL (default) survives a process crash (kill -9) with every committed transaction; only a power loss may
   * lose the last ones. FULL also survives power loss, at the cost of an fsync per commit.
   */
  synchronous?: SqliteSynchronous;
  /** How long a writer waits for another process's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

const BUSY_TIMEOUT_MS = 5000;
/** SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32. */
const SQLITE_MAX_PARAMS = 32766;

export class SqliteDialect implements Dialect {
  readonly name = "sqlite" as const;
  readonly maxParams = SQLITE_MAX_PARAMS;
  readonly databaseClockMs = null;
  readonly session: SqlSession;
  private readonly statements = new Map<string, Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly conn: Connection,
    readonly location: string,
  ) {
    this.session = {
      all: <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => this.serialize(async () => this.allNow<R>(sql, params)),
      get: <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => this.serialize(async () => this.getNow<R>(sql, params)),
      run: (sql, params) => this.serialize(async () => this.runNow(sql, params)),
    };
  }

  /** Opens (creating if needed) the database file and applies the connection settings. */
  static open(options: SqliteOptions): SqliteDialect {
    const path = options.path;
    let conn: Connection;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      conn = new Database(path, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    } catch (error) {
      throw new WeirError("store_unopenable", `Cannot open the SQLite store at ${path}: ${messageOf(error)}`, {
        input: false,
        cause: error,
      });
    }
    try {
      // journal_mode reads the file header: a file that is not a database fails here, not at the first query.
      const mode = conn.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal" && path !== ":memory:") throw new Error(`could not switch to WAL (journal mode is ${String(mode)})`);
      conn.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
      conn.pragma("foreign_keys = ON");
    } catch (error) {
      conn.close();
      const corrupt = classifySqliteError(error) === "corrupt";
      throw new WeirError(
        corrupt ? "store_corrupt" : "store_unopenable",
        corrupt
          ? `The SQLite store at ${path} is not a Weir database or is corrupt (${messageOf(error)}): restore it from a backup or point WEIR_DATABASE_URL elsewhere.`
          : `Cannot open the SQLite store at ${path}: ${messageOf(error)}`,
        { input: false, cause: error },
      );
    }
    return new SqliteDialect(conn, path);
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.serialize(async () => {
      this.prepared("BEGIN IMMEDIATE").run();
      const tx = this.openTransaction();
      try {
        const result = await fn(tx.handle);
        this.prepared("COMMIT").run();
        return result;
      } catch (error) {
        if (this.conn.inTransaction) this.prepared("ROLLBACK").run();
        throw error;
      } finally {
        tx.end();
      }
    });
  }

  async lockForMigration(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's single write lock until commit.
  }

  classifyError(error: unknown): SqlErrorKind {
    return classifySqliteError(error);
  }

  /** Closes after everything queued before it; closing again returns the same promise. */
  close(): Promise<void> {
    this.closing ??= this.serialize(async () => {
      this.closed = true;
      this.statements.clear();
      this.conn.close();
    });
    return this.closing;
  }

  private openTransaction(): { handle: SqlTransaction; end(): void } {
    let open = true;
    let depth = 0;
    const check = (): void => {
      if (!open) throw new Error("SQL transaction used after it ended");
    };
    const handle: SqlTransaction = {
      all: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (check(), this.allNow<R>(sql, params)),
      get: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (check(), this.getNow<R>(sql, params)),
      run: async (sql, params) => (check(), this.runNow(sql, params)),
      exec: async (sql) => {
        check();
        this.execNow(sql);
      },
      savepoint: async <T>(fn: () => Promise<T>): Promise<T> => {
        check();
        const name = `sp${depth++}`;
        this.prepared(`SAVEPOINT ${name}`).run();
        try {
          const result = await fn();
          this.prepared(`RELEASE ${name}`).run();
          return result;
        } catch (error) {
          this.prepared(`ROLLBACK TO ${name}`).run();
          this.prepared(`RELEASE ${name}`).run();
          throw error;
        } finally {
          depth--;
        }
      },
    };
    return { handle, end: () => void (open = false) };
  }

  /** Runs `fn` after everything queued before it, alone on the connection. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.closed) throw new WeirError("store_closed", `The SQLite store at ${this.location} is closed.`, { input: false });
      return fn();
    });
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result.catch((error: unknown) => {
      throw this.explain(error);
    });
  }

  private prepared(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.conn.prepare<SqlParam[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private allNow<R extends SqlRow>(sql: string, params: readonly SqlParam[] = []): R[] {
    return this.prepared(sql).all(...params) as R[];
  }

  private getNow<R extends SqlRow>(sql: string, params: readonly SqlParam[] = []): R | undefined {
    return this.prepared(sql).get(...params) as R | undefined;
  }

  private runNow(sql: string, params: readonly SqlParam[] = []): number {
    return this.prepared(sql).run(...params).changes;
  }

  private execNow(sql: string): void {
    this.conn.exec(sql);
  }

  /** Database-level failures become one clear WeirError; constraint errors pass through for the store to judge. */
  private explain(error: unknown): unknown {
    switch (classifySqliteError(error)) {
      case "busy":
        return new WeirError(
          "store_busy",
          `The SQLite store at ${this.location} stayed locked by another process for too long (${messageOf(error)}).`,
          { input: false, cause: error },
        );
      case "corrupt":
        return new WeirError("store_corrupt", `The SQLite store at ${this.location} is corrupt (${messageOf(error)}).`, {
          input: false,
          cause: error,
        });
      default:
        return error;
    }
  }
}

function classifySqliteError(error: unknown): SqlErrorKind {
  if (!(error instanceof Database.SqliteError)) return "other";
  const code = error.code;
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") return "unique_violation";
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return "foreign_key_violation";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy";
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return "corrupt";
  return "other";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
