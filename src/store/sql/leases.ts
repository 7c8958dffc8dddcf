// SQL of named leases (one scheduler per SQLite file; later, work handed between schedulers). A lease is held
// while now < expires_ms. Each write is one guarded statement, so taking a lease is atomic on both databases.

/**
 * Inserts the lease, or takes it over when it expired or is already the owner's (then extends it). Zero rows
 * changed: another owner holds it. Params: name, owner, expires_ms, now.
 */
export const ACQUIRE_LEASE = `
INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
WHERE leases.owner = excluded.owner OR leases.expires_ms <= ?`;

/** Extends an unexpired lease of this owner. Params: expires_ms, name, owner, now. */
export const RENEW_LEASE = `UPDATE leases SET expires_ms = ? WHERE name = ? AND owner = ? AND expires_ms > ?`;

export const RELEASE_LEASE = `DELETE FROM leases WHERE name = ? AND owner = ?`;

export const GET_LEASE = `SELECT name, owner, expires_ms FROM leases WHERE name = ?`;
