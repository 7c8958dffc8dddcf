// The scheduled instances of a run waiting for capacity, by pool and priority: the dispatcher takes the
// highest priority among pools with a free slot (oldest first within a priority), so a full pool holds
// up only its own tasks and a peek costs O(pools × priorities), not O(waiting instances).

export interface ReadyEntry {
  key: string;
  pool: string;
  priority: number;
}

export class ReadyQueue {
  /** pool → priority → keys, in the order they became ready. */
  private readonly byPool = new Map<string, Map<number, Set<string>>>();
  private readonly entries = new Map<string, ReadyEntry>();

  get size(): number {
    return this.entries.size;
  }

  add(key: string, pool: string, priority: number): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, { key, pool, priority });
    let priorities = this.byPool.get(pool);
    if (!priorities) this.byPool.set(pool, (priorities = new Map()));
    let keys = priorities.get(priority);
    if (!keys) priorities.set(priority, (keys = new Set()));
    keys.add(key);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const priorities = this.byPool.get(entry.pool);
    const keys = priorities?.get(entry.priority);
    keys?.delete(key);
    if (keys && keys.size === 0) priorities?.delete(entry.priority);
    if (priorities && priorities.size === 0) this.byPool.delete(entry.pool);
  }

  /** The entry to run next among pools that have room, or undefined if none can. */
  peek(hasRoom: (pool: string) => boolean): ReadyEntry | undefined {
    let best: ReadyEntry | undefined;
    for (const [pool, priorities] of this.byPool) {
      if (!hasRoom(pool)) continue;
      let top = -Infinity;
      for (const priority of priorities.keys()) if (priority > top) top = priority;
      if (best !== undefined && top <= best.priority) continue;
      const key = first(priorities.get(top));
      if (key !== undefined) best = this.entries.get(key);
    }
    return best;
  }
}

function first<T>(set: Set<T> | undefined): T | undefined {
  if (!set) return undefined;
  for (const value of set) return value;
  return undefined;
}
