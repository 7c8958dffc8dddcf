// The records of pools (store/pools.ts), and the migrate option that sizes the `default` pool it creates.

export interface PoolRecord {
  name: string;
  /** How many task instances of this pool may run at once (0 stops the pool). */
  slots: number;
  description: string | null;
  updatedMs: number;
}

export interface PoolInput {
  name: string;
  slots: number;
  /** Omitted: keep the existing description (none for a new pool); null: clear it. */
  description?: string | null;
}

export interface MigrateOptions {
  /**
   * Slots of the `default` pool when migrate creates it (default DEFAULT_POOL_SLOTS, 128). An existing
   * default pool keeps its size: `setPool` (`weir pools set default N`) is what changes it.
   */
  defaultPoolSlots?: number;
}
