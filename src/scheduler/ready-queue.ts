// The scheduled instances of a run waiting for capacity, by pool and priority: the dispatcher takes the
// highest priority among pools with a free slot (oldest first within a priority), so a full pool holds
// up only its own tasks and a peek costs O(lanes × priorities), not O(waiting instances). Instances of a
// task with its own limit (a mapped task's `maxParallel`) wait in a lane of their own, so a task at its
// limit holds up only its own instances too. Deferred sensors wait in a lane that needs no worker (their
// try is handed to the trigger loop, never sent to a worker): they are taken whether or not a worker is free.
// Lanes are per executor queue too (a task's `queue`): where the executor counts free slots per queue (the
// store executor), a queue without room holds up only its own instances.

export interface ReadyEntry {
  key: string;
  pool: string;
  priority: number;
  /** The task whose own limit applies (maxParallel), or null. */
  limited: string | null;
  /** The task's executor queue (`queue`): a full queue holds up only its own tasks too. */
  queue: string;
}

/** FIFO of keys with lazy deletion: a deleted key stays in the array until the head passes it. */
interface Bucket {
  keys: string[];
  head: number;
  live: number;
}

interface Lane {
  pool: string;
  limited: string | null;
  queue: string;
  priorities: Map<number, Bucket>;
}

export class ReadyQueue {
  /** lane (pool, or pool + limited task) → priority → keys, in the order they became ready. */
  private readonly lanes = new Map<string, Lane>();
  private readonly entries = new Map<string, ReadyEntry & { lane: string }>();
  /** Keys that need no worker slot, in the order they became ready. */
  private readonly noWorker = new Set<string>();

  get size(): number {
    return this.entries.size + this.noWorker.size;
  }

  /** An instance that needs no worker and no pool slot (a deferred sensor's hand-off). */
  addNoWorker(key: string): void {
    if (!this.entries.has(key)) this.noWorker.add(key);
  }

  get noWorkerSize(): number {
    return this.noWorker.size;
  }

  /** Takes every no-worker key, oldest first. */
  takeNoWorker(): string[] {
    const keys = [...this.noWorker];
    this.noWorker.clear();
    return keys;
  }

  add(key: string, pool: string, priority: number, limited: string | null = null, queue = "default"): void {
    if (this.entries.has(key) || this.noWorker.has(key)) return;
    const laneKey = (limited === null ? pool : `${pool}\u0000${limited}`) + (queue === "default" ? "" : `\u0001${queue}`);
    this.entries.set(key, { key, pool, priority, limited, queue, lane: laneKey });
    let lane = this.lanes.get(laneKey);
    if (!lane) this.lanes.set(laneKey, (lane = { pool, limited, queue, priorities: new Map() }));
    let bucket = lane.priorities.get(priority);
    if (!bucket) lane.priorities.set(priority, (bucket = { keys: [], head: 0, live: 0 }));
    bucket.keys.push(key);
    bucket.live++;
  }

  delete(key: string): void {
    this.noWorker.delete(key);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const lane = this.lanes.get(entry.lane);
    const bucket = lane?.priorities.get(entry.priority);
    if (!lane || !bucket) return;
    bucket.live--;
    if (bucket.live === 0) lane.priorities.delete(entry.priority);
    if (lane.priorities.size === 0) this.lanes.delete(entry.lane);
  }

  /** The entry to run next among lanes that have room, or undefined if none can. */
  peek(hasRoom: (pool: string, limited: string | null, queue: string) => boolean): ReadyEntry | undefined {
    let best: ReadyEntry | undefined;
    for (const [laneKey, lane] of this.lanes) {
      if (!hasRoom(lane.pool, lane.limited, lane.queue)) continue;
      let top = -Infinity;
      for (const priority of lane.priorities.keys()) if (priority > top) top = priority;
      if (best !== undefined && top <= best.priority) continue;
      const bucket = lane.priorities.get(top);
      const entry = bucket && this.front(bucket, laneKey, top);
      if (entry) best = entry;
    }
    return best;
  }

  /** The oldest live key of a bucket, skipping (and dropping) keys deleted since they were added. */
  private front(bucket: Bucket, lane: string, priority: number): ReadyEntry | undefined {
    while (bucket.head < bucket.keys.length) {
      const entry = this.entries.get(bucket.keys[bucket.head] as string);
      // A key re-added later in another bucket, or deleted, is not this bucket's any more.
      if (entry && entry.lane === lane && entry.priority === priority) break;
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
