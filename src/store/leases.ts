// Lease verbs: a named, expiring claim held by one owner (one scheduler per SQLite file, DESIGN.md §7). Each
// verb is one guarded statement, atomic on both databases; the outcome is a value, never an exception. On a
// database with its own clock (Postgres) that clock decides, not the caller's `nowMs`: processes on machines
// whose clocks disagree still agree on who holds a lease.
import { WeirError } from "../common/errors.js";
import type { Dialect, SqlParam, SqlSession } from "./dialect.js";
import { toLeaseRecord, type LeaseRow } from "./records.js";
import { GET_LEASE, HOLD_LEASE, leaseStatements, RELEASE_LEASE, type LeaseStatements } from "./sql/leases.js";
import type { LeaseFence, LeaseRecord } from "./types.js";

const CALLER_CLOCK = leaseStatements("?");
const statementsByClock = new Map<string, LeaseStatements>();

function validateTtl(name: string, ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new WeirError("lease_invalid", `Lease ${name}: the ttl must be a whole number of milliseconds > 0, got ${String(ttlMs)}.`, {
      input: false,
    });
  }
}

/** The statements for this dialect's clock, and the parameter that stands for "now" (none: the database's). */
function clockOf(dialect: Dialect, nowMs: number): { sql: LeaseStatements; now: SqlParam[] } {
  const clock = dialect.databaseClockMs;
  if (clock === null) return { sql: CALLER_CLOCK, now: [nowMs] };
  let sql = statementsByClock.get(clock);
  if (sql === undefined) statementsByClock.set(clock, (sql = leaseStatements(clock)));
  return { sql, now: [] };
}

/**
 * One lease write that waits at most a quarter of the TTL for the lease row's lock: a holder's fenced commit
 * holds it for milliseconds, a frozen holder's open transaction until its session is ended (the dialect's
 * idle-in-transaction timeout). "locked": the wait ran out, or the database was busy (SQLite's busy_timeout).
 */
async function leaseWrite(dialect: Dialect, ttlMs: number, sql: string, params: readonly SqlParam[]): Promise<number | "locked"> {
  try {
    if (dialect.name !== "postgres") return await dialect.session.run(sql, params);
    return await dialect.transaction(async (tx) => {
      await tx.exec(`SET LOCAL lock_timeout = ${Math.max(100, Math.floor(ttlMs / 4))}`);
      return tx.run(sql, params);
    });
  } catch (error) {
    // lock_not_available (55P03) and SQLITE_BUSY both reach here as store_busy.
    if (error instanceof WeirError && error.code === "store_busy") return "locked";
    throw error;
  }
}

/** False while another owner holds it, and while its row is locked by someone else's transaction. */
export async function acquireLease(dialect: Dialect, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  const { sql, now } = clockOf(dialect, nowMs);
  const changed = await leaseWrite(dialect, ttlMs, sql.acquire, [name, owner, ttlMs, ...now, ...now]);
  return changed !== "locked" && changed > 0;
}

export async function renewLease(dialect: Dialect, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  const { sql, now } = clockOf(dialect, nowMs);
  return (await dialect.session.run(sql.renew, [ttlMs, ...now, name, owner, ...now])) > 0;
}

export async function extendLease(dialect: Dialect, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  const { sql, now } = clockOf(dialect, nowMs);
  const changed = await leaseWrite(dialect, ttlMs, sql.extend, [ttlMs, ...now, name, owner]);
  // Unknown, not lost: the caller keeps acting as holder; its fenced writes tell the truth.
  if (changed === "locked") throw new WeirError("store_busy", `Lease ${name}: its row stayed locked by another transaction; not extended this time.`, { input: false });
  return changed > 0;
}

/**
 * The first write of a fenced transaction: throws `scheduler_fenced` (rolling the transaction back) unless
 * the fence's owner still holds its lease. Where writes are batched (Postgres) the count is checked when the
 * batch is sent; a fenced batch then fails its speculation and the unbatched retry throws here.
 */
export async function holdFence(tx: Pick<SqlSession, "run">, fence: LeaseFence): Promise<void> {
  if ((await tx.run(HOLD_LEASE, [fence.lease, fence.owner])) === 0) throw fencedError(fence);
}

function fencedError(fence: LeaseFence): WeirError {
  return new WeirError("scheduler_fenced", `${fence.owner} no longer holds the ${fence.lease} lease (another scheduler took over): nothing was written`, { input: false });
}

export async function releaseLease(session: SqlSession, name: string, owner: string): Promise<void> {
  await session.run(RELEASE_LEASE, [name, owner]);
}

export async function getLease(session: SqlSession, name: string): Promise<LeaseRecord | null> {
  const row = await session.get<LeaseRow>(GET_LEASE, [name]);
  return row === undefined ? null : toLeaseRecord(row);
}
