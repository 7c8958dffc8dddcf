// The scheduled instances of a run waiting for capacity, by pool and priority: the dispatcher takes the
// highest priority among pools with a free slot (oldest first within a priority), so a full pool holds
// up only its own tasks and a peek costs O(pools × priorities), not O(waiting instances).

export interface ReadyEntry {
  key: string;
  pool: string;
  priority: number;
}

/** FIFO of keys with lazy deletion: a deleted key stays in the array until the head passes it. */
interface Bucket {
  keys: string[];
  head: number;
  live: number;
}

export class ReadyQueue {
  /** pool → priority → keys, in the order they became ready. */
  private readonly byPool = new Map<string, Map<number, Bucket>>();
  private readonly entries = new Map<string, ReadyEntry>();

  get size(): number {
    return this.entries.size;
  }

  add(key: string, pool: string, priority: number): void {
    if (this.entries.has(key)) return;
    const entry = { key, pool, priority };
    this.entries.set(key, entry);
    let priorities = this.byPool.get(pool);
    if (!priorities) this.byPool.set(pool, (priorities = new Map()));
    let bucket = priorities.get(priority);
    if (!bucket) priorities.set(priority, (bucket = { keys: [], head: 0, live: 0 }));
    bucket.keys.push(key);
    bucket.live++;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const priorities = this.byPool.get(entry.pool);
    const bucket = priorities?.get(entry.priority);
    if (!bucket) return;
    bucket.live--;
    if (bucket.live === 0) priorities?.delete(entry.priority);
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
      const bucket = priorities.get(top);
      const entry = bucket && this.front(bucket, pool, top);
      if (entry) best = entry;
    }
    return best;
  }

  /** The oldest live key of a bucket, skipping (and dropping) keys deleted since they were added. */
  private front(bucket: Bucket, pool: string, priority: number): ReadyEntry | undefined {
    while (bucket.head < bucket.keys.length) {
      const entry = this.entries.get(bucket.keys[bucket.head] as string);
      // A key re-added later in another bucket, or deleted, is not this bucket's any more.
      if (entry && entry.pool === pool && entry.priority === priority) break;
      bucket.head++;
    }
    if (bucket.head > 1024 && bucket.head * 2 > bucket.keys.length) {
      bucket.keys.splice(0, bucket.head);
      bucket.head = 0;
    }
    const key = bucket.keys[bucket.head];
    return key === undefined ? undefined : this.entries.get(key);
  }
}
