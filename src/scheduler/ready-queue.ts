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

/**
 * A class, so every lane has one hidden class. `top` is its highest priority with a live key, kept up to date
 * by add and delete, so a peek needs no scan of the priorities (a peek runs once per claimed instance).
 */
class Lane {
  top = -Infinity;
  readonly priorities = new Map<number, Bucket>();
  constructor(
    readonly key: string,
    readonly pool: string,
    readonly limited: string | null,
    readonly queue: string,
  ) {}
}

type Entry = ReadyEntry & { lane: string };

export class ReadyQueue {
  /** lane (pool, or pool + limited task) → priority → keys, in the order they became ready. */
  private readonly lanes = new Map<string, Lane>();
  /** The lanes again, in the order they were made: peek walks an array, not a Map iterator. */
  private readonly laneList: Lane[] = [];
  private readonly entries = new Map<string, Entry>();
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
    if (lane === undefined) {
      lane = new Lane(laneKey, pool, limited, queue);
      this.lanes.set(laneKey, lane);
      this.laneList.push(lane);
    }
    let bucket = lane.priorities.get(priority);
    if (bucket === undefined) {
      bucket = { keys: [], head: 0, live: 0 };
      lane.priorities.set(priority, bucket);
      if (priority > lane.top) lane.top = priority;
    }
    bucket.keys.push(key);
    bucket.live++;
  }

  delete(key: string): void {
    // Read first, whatever happens next: the reads below have type feedback before the first lane empties.
    const entry = this.entries.get(key);
    if (this.noWorker.size > 0) this.noWorker.delete(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    const lane = this.lanes.get(entry.lane);
    const bucket = lane?.priorities.get(entry.priority);
    if (lane === undefined || bucket === undefined) return;
    bucket.live--;
    // The usual delete is of the key at the head (it was just peeked and claimed): step past it now.
    if (bucket.keys[bucket.head] === key) bucket.head++;
    if (bucket.live === 0) this.dropBucket(lane, entry.priority);
  }

  /** The entry to run next among lanes that have room, or undefined if none can. */
  peek(hasRoom: (pool: string, limited: string | null, queue: string) => boolean): ReadyEntry | undefined {
    let best: Entry | undefined;
    const lanes = this.laneList;
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i] as Lane;
      const top = lane.top;
      if (best !== undefined && top <= best.priority) continue;
      if (!hasRoom(lane.pool, lane.limited, lane.queue)) continue;
      const bucket = lane.priorities.get(top);
      const entry = bucket === undefined ? undefined : this.front(bucket, lane.key, top);
      if (entry !== undefined) best = entry;
    }
    return best;
  }

  /** A bucket without live keys goes; its lane too when it was the lane's last. */
  private dropBucket(lane: Lane, priority: number): void {
    lane.priorities.delete(priority);
    if (lane.priorities.size === 0) {
      this.lanes.delete(lane.key);
      this.laneList.splice(this.laneList.indexOf(lane), 1);
      return;
    }
    if (priority !== lane.top) return;
    let top = -Infinity;
    for (const p of lane.priorities.keys()) if (p > top) top = p;
    lane.top = top;
  }

  /** The oldest live key of a bucket, skipping (and dropping) keys deleted since they were added. */
  private front(bucket: Bucket, lane: string, priority: number): Entry | undefined {
    const keys = bucket.keys;
    let head = bucket.head;
    let entry: Entry | undefined;
    for (; head < keys.length; head++) {
      entry = this.entries.get(keys[head] as string);
      // A key re-added later in another bucket, or deleted, is not this bucket's any more.
      if (entry !== undefined && entry.lane === lane && entry.priority === priority) break;
      entry = undefined;
    }
    bucket.head = head;
    // The passed keys are dropped once they are most of the array (a long-lived bucket stays bounded).
    if (head * 2 > keys.length && head > 1024) {
      keys.splice(0, head);
      bucket.head = 0;
    }
    return entry;
  }
}
