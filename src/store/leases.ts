// Lease verbs: a named, expiring claim held by one owner (one scheduler per SQLite file, DESIGN.md §7). Each
// verb is one guarded statement, atomic on both databases; the outcome is a value, never an exception. On a
// database with its own clock (Postgres) that clock decides, not the caller's `nowMs`: processes on machines
// whose clocks disagree still agree on who holds a lease.
import { WeirError } from "../common/errors.js";
import type { Dialect, SqlParam, SqlSession } from "./dialect.js";
import { toLeaseRecord, type LeaseRow } from "./records.js";
import { GET_LEASE, leaseStatements, RELEASE_LEASE, type LeaseStatements } from "./sql/leases.js";
import type { LeaseRecord } from "./types.js";

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

export async function acquireLease(dialect: Dialect, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  const { sql, now } = clockOf(dialect, nowMs);
  return (await dialect.session.run(sql.acquire, [name, owner, ttlMs, ...now, ...now])) > 0;
}

export async function renewLease(dialect: Dialect, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  const { sql, now } = clockOf(dialect, nowMs);
  return (await dialect.session.run(sql.renew, [ttlMs, ...now, name, owner, ...now])) > 0;
}

export async function releaseLease(session: SqlSession, name: string, owner: string): Promise<void> {
  await session.run(RELEASE_LEASE, [name, owner]);
}

export async function getLease(session: SqlSession, name: string): Promise<LeaseRecord | null> {
  const row = await session.get<LeaseRow>(GET_LEASE, [name]);
  return row === undefined ? null : toLeaseRecord(row);
}
