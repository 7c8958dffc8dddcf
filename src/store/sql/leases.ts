// SQL of named leases (one scheduler per SQLite file; later, work handed between schedulers). A lease is held
// while now < expires_ms. Each write is one guarded statement, so taking a lease is atomic on both databases.
// "now" is `?` (the caller's clock, SQLite) or the database's clock expression (Postgres, DESIGN.md §7): the
// statements are built once for each.

export interface LeaseStatements {
  /**
   * Inserts the lease, or takes it over when it expired or is already the owner's (then extends it). Zero rows
   * changed: another owner holds it. Params: name, owner, ttl, [now ×2 when `now` is `?`].
   */
  acquire: string;
  /** Extends an unexpired lease of this owner. Params: ttl, [now], name, owner, [now]. */
  renew: string;
  /** Extends the lease while this owner still holds the row, expired or not. Params: ttl, [now], name, owner. */
  extend: string;
}

export function leaseStatements(now: string): LeaseStatements {
  return {
    acquire: `
INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ? + ${now})
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
WHERE leases.owner = excluded.owner OR leases.expires_ms <= ${now}`,
    renew: `UPDATE leases SET expires_ms = ? + ${now} WHERE name = ? AND owner = ? AND expires_ms > ${now}`,
    extend: `UPDATE leases SET expires_ms = ? + ${now} WHERE name = ? AND owner = ?`,
  };
}

export const RELEASE_LEASE = `DELETE FROM leases WHERE name = ? AND owner = ?`;

/**
 * The fence of a write transaction (several schedulers, docs/distributed.md): one row when `owner` still holds
 * the lease, none once another owner took it over or it was released. A write, not a read: on Postgres it
 * locks the lease row until the transaction ends, so a takeover waits for a commit in flight or the commit
 * sees the new owner; and it rides in a batch of held writes (ADR 0005) without a round trip of its own.
 * Params: name, owner.
 */
export const HOLD_LEASE = `UPDATE leases SET owner = owner WHERE name = ? AND owner = ?`;

export const GET_LEASE = `SELECT name, owner, expires_ms FROM leases WHERE name = ?`;
