// The Postgres dialect: a pg connection pool behind the async Dialect API. Unlike SQLite, transactions run on
// their own pooled connection at the same time; Postgres' row locks and guarded UPDATEs (READ COMMITTED
// re-checks the WHERE clause after a lock wait) keep concurrent writers correct, so nothing is queued here.
import pg from "pg";
import { WeirError } from "../../common/errors.js";
import { SpeculationFailed } from "../batched-writes.js";
import { redactPassword } from "../redact-url.js";
import type { Dialect, SqlErrorKind, SqlParam, SqlRow, SqlSession, SqlStatement, SqlTransaction } from "../dialect.js";
import { mergeWrites, unitCounts } from "./bulk-writes.js";
import { retryWhenBusy } from "./busy-retry.js";
import { fitsExecuteText, runBatch, runExecuteText, type BatchPart } from "./batch-query.js";
import { expectingRows, numberPlaceholders, preparedNameOf } from "./statement-text.js";

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
/** Raised by weir_expect_rows (migration 0012) when a checked write changed another number of rows. */
const EXPECTED_ROWS_SQLSTATE = "WE001";
/** The advisory lock key that stands for "migrating Weir's schema": "weir" in ASCII. */
const MIGRATION_LOCK_KEY = 0x77656972;
/** int8 (BIGINT, COUNT(*)): epoch-ms times and counts stay far below 2^53, so numbers are exact. */
const INT8_OID = 20;
/** See PostgresOptions.idleInTransactionTimeoutMs. */
const DEFAULT_IDLE_IN_TRANSACTION_MS = 5000;

export class PostgresDialect implements Dialect {
  readonly name = "postgres" as const;
  readonly maxParams = POSTGRES_MAX_PARAMS;
  readonly databaseClockMs = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint";
  readonly session: SqlSession;
  private closing: Promise<void> | undefined;
  /** Stops of the LISTEN connections still held (close() releases them). */
  private readonly listeners = new Set<() => void>();
  /** Statements prepared by batches on each pooled connection (they live as long as the connection). */
  private readonly preparedByClient = new WeakMap<pg.PoolClient, { names: Set<string>; unsure: boolean }>();

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {
    // A statement outside a transaction is one transaction of its own: after a deadlock it can run again.
    this.session = {
      all: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await retryWhenBusy(() => this.query<R>(this.pool, sql, params))).rows,
      get: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => firstRow(await retryWhenBusy(() => this.query<R>(this.pool, sql, params))),
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
      // Queries are written as soon as they are issued, not after the previous one's answer: a transaction's
      // BEGIN goes out with its first statement and a batch (runMany) with its parts, in one round trip.
      pipeline: true,
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
    // BEGIN is sent with the transaction's first statement, in the same write (pipeline mode): one round trip
    // fewer per transaction.
    let begun = false;
    // A batch of writes each checked on the server (runMany with every statement expected to change one row)
    // is not waited for: what follows it, the COMMIT above all, goes out behind it at once, and its failure is
    // what the next statement (or the COMMIT) reports. A batch whose check fails aborts the transaction, so
    // nothing sent after it commits.
    let pending: Promise<unknown> | null = null;
    const settled = async <T>(statement: Promise<T>): Promise<T> => {
      if (pending === null) return statement;
      const batch = pending;
      pending = null;
      return afterBoth(batch, statement);
    };
    const first = <T>(statement: () => Promise<T>): Promise<T> => {
      if (!open) throw new Error("SQL transaction used after it ended");
      if (begun) return settled(statement());
      begun = true;
      return pipelined(client, () => afterBoth(this.query(client, "BEGIN"), statement()));
    };
    const handle: SqlTransaction = {
      all: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => (await first(() => this.query<R>(client, sql, params))).rows,
      get: async <R extends SqlRow>(sql: string, params?: readonly SqlParam[]) => firstRow(await first(() => this.query<R>(client, sql, params))),
      run: async (sql, params) => (await first(() => this.query(client, sql, params))).rowCount ?? 0,
      exec: async (sql) => {
        await first(() => this.query(client, sql));
      },
      runMany: async (statements, expectOne = 0) => {
        if (!open) throw new Error("SQL transaction used after it ended");
        // Throws having sent nothing (a value that can't be written): nothing is pending, and no BEGIN went out.
        const sent = this.runMany(client, statements, expectOne, !begun);
        begun = true;
        if (statements.length === 0 || expectOne < statements.length) return settled(sent);
        // Every statement is checked on the server to change its one row: the answer is known unless the
        // transaction fails, and then nothing commits.
        const batch = pending === null ? sent : afterBoth(pending, sent);
        batch.catch(() => undefined); // reported by the statement or COMMIT that follows
        pending = batch;
        return statements.map(() => 1);
      },
      savepoint: async <R>(fn: () => Promise<R>): Promise<R> => {
        await first(async () => undefined);
        const name = `sp${depth++}`;
        await client.query(`SAVEPOINT ${name}`);
        try {
          const result = await fn();
          await settled(client.query(`RELEASE SAVEPOINT ${name}`));
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
      // A transaction that ran no statement has nothing to commit. A COMMIT of a transaction a pending batch
      // failed rolls it back; the batch's failure is what is thrown.
      if (begun) await settled(this.query(client, "COMMIT"));
      return result;
    } catch (error) {
      // Assigned in the handle's closures: TypeScript can't see it set here.
      const unsettled = pending as Promise<unknown> | null;
      if (unsettled !== null) await unsettled.catch(() => undefined);
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
   * The statements as one batch query (batch-query.ts): one write, one Sync, one answer, its parameters
   * bound; a batch of only a few prepared statements as one text of EXECUTEs (cheaper for a small commit). A
   * statement seen before is a named prepared statement on the connection (parsed and planned once).
   * The first `expectOne` statements each expect one changed row: their hot kinds are merged into set-based
   * statements (bulk-writes.ts), and each is checked on the server, failing the transaction (SQLSTATE WE001)
   * when it changed another number of rows.
   */
  private runMany(client: pg.PoolClient, statements: readonly SqlStatement[], expectOne: number, begin: boolean): Promise<number[]> {
    let prepared = this.preparedByClient.get(client);
    if (prepared === undefined) this.preparedByClient.set(client, (prepared = { names: new Set(), unsure: false }));
    const units = mergeWrites(statements, expectOne);
    const parts: BatchPart[] = begin ? [{ name: null, parse: true, text: "BEGIN", values: [] }] : [];
    // A batch failed after some of its statements were prepared (that outlives a rollback): start over.
    const deallocating = prepared.unsure;
    if (deallocating) parts.push({ name: null, parse: true, text: "DEALLOCATE ALL", values: [] });
    const head = parts.length;
    const preparing = new Set<string>();
    for (const { statement: s, merged, indices } of units) {
      // The writes expected to change one row each are checked on the server (expectingRows): a batch that
      // changed another number of rows fails, whether or not its caller waits for its counts.
      const checked = indices[0]! < expectOne;
      const sql = checked ? expectingRows(s.sql) : s.sql;
      const values = checked ? [...s.params, indices.length] : s.params;
      // Merged writes are planned each time, for their number of rows and the tables' current sizes: a plan
      // cached while a table was small (a hash join over all of it) stays slow as the table grows.
      const name = merged ? null : preparedNameOf(sql, values.length);
      const parse = name === null || ((deallocating || !prepared.names.has(name)) && !preparing.has(name));
      if (name !== null && parse) preparing.add(name);
      parts.push({ name, parse, text: numberPlaceholders(sql), values });
    }
    // A batch of a few prepared statements (a chain's commit) costs least as one text of EXECUTEs; one with
    // merged writes or large statements goes as a batch query (no literals, no escaping of long arrays).
    // Both write the batch before they return, and throw having sent nothing when a value can't be written
    // (NaN): the caller must not send a COMMIT behind a batch that never went out.
    const answer = units.every((u) => !u.merged) && parts.every(fitsExecuteText) ? runExecuteText(client, parts) : runBatch(client, parts);
    // Prepared as of now for what is issued next, even before this batch is answered (behind a pending one, in
    // pipeline mode): Parsed again, a name would fail as "already exists". A failure makes the next one start over.
    if (deallocating) prepared.names.clear();
    prepared.unsure = false;
    for (const name of preparing) prepared.names.add(name);
    return answer.then(
      (results) => {
        const counts = new Array<number>(statements.length);
        units.forEach((unit, i) => {
          const checked = unit.indices[0]! < expectOne;
          const each = unitCounts(unit, checked ? unit.indices.length : (results[head + i] ?? 0));
          unit.indices.forEach((index, k) => (counts[index] = each[k]!));
        });
        return counts;
      },
      (error: unknown) => {
        // What the connection holds is then unsure: statements this batch prepared before failing, a DEALLOCATE
        // ALL that didn't run (a transaction already aborted), or statements gone behind our back (DISCARD ALL).
        if (deallocating || parts.some((part) => part.name !== null)) prepared.unsure = true;
        throw this.explain(error);
      },
    );
  }

  /** Server-level failures become one clear WeirError; constraint errors pass through for the store to judge. */
  private explain(error: unknown): unknown {
    if (error instanceof WeirError) return error;
    // A batched write's check (expectingRows): its caller assumed another outcome, and redoes the work unbatched.
    if (error instanceof pg.DatabaseError && error.code === EXPECTED_ROWS_SQLSTATE) return new SpeculationFailed(error.message);
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

/** The socket under a pooled client (pg keeps it on its connection), when there is one to cork. */
function socketOf(client: pg.PoolClient): { cork(): void; uncork(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream as { cork(): void; uncork(): void } | undefined;
}

/** Issues the queries `send` starts with the socket corked: their messages leave in one write. */
function pipelined<T>(client: pg.PoolClient, send: () => T): T {
  const socket = socketOf(client);
  socket?.cork();
  try {
    return send();
  } finally {
    socket?.uncork();
  }
}

/** Waits for both (so neither rejects unheard); the first one's failure is the cause. */
async function afterBoth<T>(before: Promise<unknown>, then: Promise<T>): Promise<T> {
  const [a, b] = await Promise.allSettled([before, then]);
  if (a.status === "rejected") throw a.reason;
  if (b.status === "rejected") throw b.reason;
  return b.value;
}

function firstRow<R extends SqlRow>(result: pg.QueryResult<R>): R | undefined {
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
