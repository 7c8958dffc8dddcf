// The Postgres dialect: a pg connection pool behind the async Dialect API. Unlike SQLite, transactions run on
// their own pooled connection at the same time; Postgres' row locks and guarded UPDATEs (READ COMMITTED
// re-checks the WHERE clause after a lock wait) keep concurrent writers correct, so nothing is queued here.
import pg from "pg";
import { WeirError } from "../../common/errors.js";
import type { Dialect, SqlErrorKind, SqlParam, SqlRow, SqlSession, SqlStatement, SqlTransaction } from "../dialect.js";
import { redactPassword } from "../redact-url.js";
import { mergeWrites, unitCounts } from "./bulk-writes.js";
import { retryWhenBusy } from "./busy-retry.js";
import { executeText, inlineParams, numberPlaceholders, preparedNameOf } from "./statement-text.js";

export interface PostgresOptions {
  /** `postgres://user:password@host:5432/database` (what pg accepts, e.g. `?sslmode=require`). */
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** How long to wait for a connection to the server before failing (default 10 000 ms). */
  connectTimeoutMs?: number;
  /**
   * How long a transaction may sit idle before the server ends its session (default 5 000 ms). None of Weir's
   * transactions waits on anything but the database, so one idle this long belongs to a frozen or cut-off
   * process: its row locks (the scheduler lease's fence above all) must not block the others for good.
   */
  idleInTransactionTimeoutMs?: number;
}

/** Postgres binds at most 65535 parameters per statement. */
const POSTGRES_MAX_PARAMS = 65535;
/** The advisory lock key that stands for "migrating Weir's schema": "weir" in ASCII. */
const MIGRATION_LOCK_KEY = 0x77656972;
/** int8 (BIGINT, COUNT(*)): epoch-ms times and counts stay far below 2^53, so numbers are exact. */
const INT8_OID = 20;
/** See PostgresOptions.idleInTransactionTimeoutMs. */
const DEFAULT_IDLE_IN_TRANSACTION_MS = 5000;
/** Statements of one batch sent per round trip: bounds the size of one message. */
const BATCH_STATEMENTS = 2000;

export class PostgresDialect implements Dialect {
  readonly name = "postgres" as const;
  readonly maxParams = POSTGRES_MAX_PARAMS;
  readonly databaseClockMs = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint";
  readonly session: SqlSession;
  private closing: Promise<void> | undefined;
  /** Statements PREPAREd on each pooled connection (they live as long as the connection). */
  /** Stops of the LISTEN connections still held (close() releases them). */
  private readonly listeners = new Set<() => void>();
  private readonly preparedByClient = new WeakMap<pg.PoolClient, { names: Set<string>; unsure: boolean }>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {
    // A statement outside a transaction is one transaction of its own: after a deadlock it can run again.
    this.session = {
      all: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await retryWhenBusy(() => this.query<R>(this.pool, sql, params))).rows,
      get: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => first(await retryWhenBusy(() => this.query<R>(this.pool, sql, params))),
      run: async (sql, params) => (await retryWhenBusy(() => this.query(this.pool, sql, params))).rowCount ?? 0,
    };
  }

  /** Opens a pool and checks that the server answers, so a wrong URL fails here with one clear line. */
  static async open(options: PostgresOptions): Promise<PostgresDialect> {
    const location = redactPassword(options.url);
    const types = new pg.TypeOverrides();
    types.setTypeParser(INT8_OID, (text: string) => Number(text));
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_MS,
      // A server behind a dead link is noticed by the OS instead of a query waiting on it for ever.
      keepAlive: true,
      types,
    });
    // An idle connection the server dropped (restart, network) is discarded by the pool; without a listener
    // the 'error' event would end the process.
    pool.on("error", () => undefined);
    const dialect = new PostgresDialect(pool, location);
    try {
      await pool.query("SELECT 1");
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new WeirError("store_unopenable", `Cannot connect to the Postgres store at ${location}: ${messageOf(error)}`, {
        input: false,
        cause: error,
      });
    }
    return dialect;
  }

  /**
   * A transaction that fails with a deadlock or a serialization failure was rolled back by the server: `fn`
   * runs again from the start, on a fresh transaction, a few times (busy-retry.ts), before `store_busy`.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    this.checkOpen();
    return retryWhenBusy(() => this.transactionOnce(fn));
  }

  private async transactionOnce<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    this.checkOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.explain(error);
    }
    // The server may end the session while the transaction is open (idle_in_transaction_session_timeout, a
    // restart): the next statement fails with it; unheard, the event would end the process.
    const dropped = (): void => undefined;
    client.on("error", dropped);
    let open = true;
    let depth = 0;
    // BEGIN is sent with the transaction's first statement: in front of a batch's text (one round trip fewer
    // per transaction, most of all the batched hot path's), or on its own before a single statement.
    let begun = false;
    const check = async (): Promise<void> => {
      if (!open) throw new Error("SQL transaction used after it ended");
      if (begun) return;
      begun = true;
      await this.query(client, "BEGIN");
    };
    const handle: SqlTransaction = {
      all: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await check(), (await this.query<R>(client, sql, params)).rows),
      get: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await check(), first(await this.query<R>(client, sql, params))),
      run: async (sql, params) => (await check(), (await this.query(client, sql, params)).rowCount ?? 0),
      exec: async (sql) => {
        await check();
        await this.query(client, sql);
      },
      runMany: async (statements, expectOne = 0) => {
        if (!open) throw new Error("SQL transaction used after it ended");
        const withBegin = !begun;
        begun = true;
        return this.runMany(client, statements, expectOne, withBegin);
      },
      savepoint: async <R>(fn: () => Promise<R>): Promise<R> => {
        await check();
        const name = `sp${depth++}`;
        await client.query(`SAVEPOINT ${name}`);
        try {
          const result = await fn();
          await client.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (error) {
          // The failed statement aborted the transaction; rolling back to the savepoint makes it usable again.
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await client.query(`RELEASE SAVEPOINT ${name}`);
          throw error;
        } finally {
          depth--;
        }
      },
    };
    let broken: Error | undefined;
    try {
      const result = await fn(handle);
      // A transaction that ran no statement has nothing to commit.
      if (begun) await this.query(client, "COMMIT");
      return result;
    } catch (error) {
      if (begun) await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        // A connection that can't roll back is not given back to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      // Statements were explained where they failed; what `fn` threw (a guard, a WeirError) is the caller's.
      throw error;
    } finally {
      open = false;
      client.removeListener("error", dropped);
      client.release(broken);
    }
  }

  async lockForMigration(tx: SqlTransaction): Promise<void> {
    // Held until the migration transaction ends: a second process waits here, then finds nothing to apply.
    await tx.get("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK_KEY]);
  }

  classifyError(error: unknown): SqlErrorKind {
    return classifyPostgresError(error);
  }

  /** LISTEN on a pooled connection held for it (destroyed when stopped, not returned: it is in LISTEN state). */
  async listen(channel: string, onNotify: () => void): Promise<() => void> {
    this.checkOpen();
    const client = await this.pool.connect();
    // A dropped connection just ends the notifications: listeners also poll.
    client.on("error", () => undefined);
    client.on("notification", (message) => {
      if (message.channel === channel) onNotify();
    });
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.listeners.delete(stop);
      client.release(true);
    };
    this.listeners.add(stop);
    try {
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      stop();
      throw this.explain(error);
    }
    return stop;
  }

  close(): Promise<void> {
    // A held listener connection would keep pool.end() waiting forever.
    for (const stop of [...this.listeners]) stop();
    this.closing ??= this.pool.end();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing !== undefined) throw new WeirError("store_closed", `The Postgres store at ${this.location} is closed.`, { input: false });
  }

  private async query<R extends SqlRow>(on: pg.Pool | pg.PoolClient, sql: string, params?: readonly SqlParam[]): Promise<pg.QueryResult<R>> {
    this.checkOpen();
    try {
      const result = params === undefined || params.length === 0 ? await on.query(sql) : await on.query(numberPlaceholders(sql), params as SqlParam[]);
      return result as pg.QueryResult<R>;
    } catch (error) {
      throw this.explain(error);
    }
  }

  /**
   * One multi-statement text per BATCH_STATEMENTS statements: they run in order, each one's changed rows counted.
   * A statement seen before is prepared once per connection (`PREPARE`, in front of the batch that first needs
   * it) and run with `EXECUTE`: half the server time of parsing and planning each one again. The first
   * `expectOne` statements each expect one changed row: their hot kinds are merged into set-based statements
   * (bulk-writes.ts).
   */
  private async runMany(client: pg.PoolClient, statements: readonly SqlStatement[], expectOne: number, begin: boolean): Promise<number[]> {
    let prepared = this.preparedByClient.get(client);
    if (prepared === undefined) this.preparedByClient.set(client, (prepared = { names: new Set(), unsure: false }));
    const counts = new Array<number>(statements.length);
    const units = mergeWrites(statements, expectOne);
    for (let start = 0; start < units.length; start += BATCH_STATEMENTS) {
      const chunk = units.slice(start, start + BATCH_STATEMENTS);
      const head: string[] = begin && start === 0 ? ["BEGIN"] : [];
      if (prepared.unsure) {
        // A batch failed after some of its PREPAREs ran (they outlive a rollback): start over.
        head.push("DEALLOCATE ALL");
        prepared.names.clear();
        prepared.unsure = false;
      }
      const preparing = new Set<string>();
      const body = chunk.map(({ statement: s, merged }) => {
        // Merged writes are planned each time, for their number of rows and the tables' current sizes: a plan
        // cached while a table was small (a hash join over all of it) stays slow as the table grows.
        const name = merged ? null : preparedNameOf(s.sql, s.params.length);
        if (name === null) return inlineParams(s.sql, s.params);
        if (!prepared.names.has(name) && !preparing.has(name)) {
          preparing.add(name);
          head.push(`PREPARE ${name} AS ${numberPlaceholders(s.sql)}`);
        }
        return executeText(name, s.params);
      });
      let results: pg.QueryResult | pg.QueryResult[];
      try {
        // A newline before each ";": a statement ending in a -- comment must not swallow it.
        results = (await client.query([...head, ...body].join("\n;\n"))) as pg.QueryResult | pg.QueryResult[];
      } catch (error) {
        if (preparing.size > 0) prepared.unsure = true;
        throw this.explain(error);
      }
      for (const name of preparing) prepared.names.add(name);
      const list = Array.isArray(results) ? results : [results];
      chunk.forEach((unit, i) => {
        const each = unitCounts(unit, list[head.length + i]?.rowCount ?? 0);
        unit.indices.forEach((index, k) => (counts[index] = each[k]!));
      });
    }
    return counts;
  }

  /** Server-level failures become one clear WeirError; constraint errors pass through for the store to judge. */
  private explain(error: unknown): unknown {
    if (error instanceof WeirError) return error;
    const kind = classifyPostgresError(error);
    if (kind === "busy") {
      return new WeirError("store_busy", `The Postgres store at ${this.location} could not finish a transaction (${messageOf(error)}).`, {
        input: false,
        cause: error,
      });
    }
    if (kind === "other" && !(error instanceof pg.DatabaseError)) {
      return new WeirError("store_unopenable", `Lost the connection to the Postgres store at ${this.location}: ${messageOf(error)}`, {
        input: false,
        cause: error,
      });
    }
    return error;
  }
}

function first<R extends SqlRow>(result: pg.QueryResult<R>): R | undefined {
  return result.rows[0];
}

function classifyPostgresError(error: unknown): SqlErrorKind {
  if (!(error instanceof pg.DatabaseError)) return "other";
  switch (error.code) {
    case "23505":
      return "unique_violation";
    case "23503":
      return "foreign_key_violation";
    // serialization_failure, deadlock_detected, lock_not_available: another writer was in the way.
    case "40001":
    case "40P01":
    case "55P03":
      return "busy";
    case "XX001":
    case "XX002":
      return "corrupt";
    default:
      return "other";
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
