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
}

export function leaseStatements(now: string): LeaseStatements {
  return {
    acquire: `
INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ? + ${now})
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
WHERE leases.owner = excluded.owner OR leases.expires_ms <= ${now}`,
    renew: `UPDATE leases SET expires_ms = ? + ${now} WHERE name = ? AND owner = ? AND expires_ms > ${now}`,
  };
}

export const RELEASE_LEASE = `DELETE FROM leases WHERE name = ? AND owner = ?`;

export const GET_LEASE = `SELECT name, owner, expires_ms FROM leases WHERE name = ?`;
