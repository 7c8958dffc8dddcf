// The records of named leases (store/leases.ts) and the fence that makes a write depend on holding one
// (several schedulers, docs/distributed.md). No imports, so distributed-types.ts can name the fence too.

/**
 * A write that must not commit unless `owner` still holds the named lease (the scheduler's decisions while
 * several schedulers run): refused with `scheduler_fenced`, nothing written, once another owner took it over.
 */
export interface LeaseFence {
  lease: string;
  owner: string;
}

export interface LeaseRecord {
  name: string;
  owner: string;
  /** The lease is held while now < expiresMs. */
  expiresMs: number;
}
