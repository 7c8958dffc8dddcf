// Lease verbs: a named, expiring claim held by one owner (one scheduler per SQLite file, DESIGN.md §7). Each
// verb is one guarded statement, atomic on both databases; the outcome is a value, never an exception.
import { WeirError } from "../common/errors.js";
import type { SqlSession } from "./dialect.js";
import { toLeaseRecord, type LeaseRow } from "./records.js";
import { ACQUIRE_LEASE, GET_LEASE, RELEASE_LEASE, RENEW_LEASE } from "./sql/leases.js";
import type { LeaseRecord } from "./types.js";

function validateTtl(name: string, ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new WeirError("lease_invalid", `Lease ${name}: the ttl must be a whole number of milliseconds > 0, got ${String(ttlMs)}.`, {
      input: false,
    });
  }
}

export async function acquireLease(session: SqlSession, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  return (await session.run(ACQUIRE_LEASE, [name, owner, nowMs + ttlMs, nowMs])) > 0;
}

export async function renewLease(session: SqlSession, name: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
  validateTtl(name, ttlMs);
  return (await session.run(RENEW_LEASE, [nowMs + ttlMs, name, owner, nowMs])) > 0;
}

export async function releaseLease(session: SqlSession, name: string, owner: string): Promise<void> {
  await session.run(RELEASE_LEASE, [name, owner]);
}

export async function getLease(session: SqlSession, name: string): Promise<LeaseRecord | null> {
  const row = await session.get<LeaseRow>(GET_LEASE, [name]);
  return row === undefined ? null : toLeaseRecord(row);
}
