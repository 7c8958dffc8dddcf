// How many more tries the scheduler may hand to the store, per queue: twice the slots of the alive workers
// serving the queue, minus the tries of that queue not reported yet. Counted per queue so that a backlog of
// a small queue (2 `spark` slots) can't take the allowance of the others; the total stays bounded by twice
// all alive slots (a worker serving several queues counts once there). A queue nobody serves gets none: its
// tries wait, scheduled, in the scheduler until a worker of it registers.

/** Tries kept queued or running per worker slot: a worker that finishes a try finds the next one queued. */
export const PREFETCH = 2;

export class QueueCapacity {
  private slotsByQueue = new Map<string, number>();
  private totalSlots = 0;
  private readonly outstandingByQueue = new Map<string, number>();
  /** Outstanding in queues some alive worker serves: what the total allowance counts. */
  private outstandingServed = 0;
  /** Outstanding tries whose queue is not known yet (looked up when they are queued in the store). */
  private unknown = 0;

  /** The alive workers now; true when some queue's allowance grew (the scheduler should look for work). */
  setWorkers(alive: readonly { slots: number; queues: readonly string[] }[]): boolean {
    const before = new Map([...this.slotsByQueue].map(([queue]) => [queue, this.freeOf(queue)]));
    const totalBefore = this.free();
    this.slotsByQueue = new Map();
    this.totalSlots = 0;
    for (const worker of alive) {
      this.totalSlots += worker.slots;
      for (const queue of new Set(worker.queues)) this.slotsByQueue.set(queue, (this.slotsByQueue.get(queue) ?? 0) + worker.slots);
    }
    this.outstandingServed = 0;
    for (const [queue, n] of this.outstandingByQueue) if (this.slotsByQueue.has(queue)) this.outstandingServed += n;
    if (this.free() > totalBefore) return true;
    for (const queue of this.slotsByQueue.keys()) if (this.freeOf(queue) > (before.get(queue) ?? 0)) return true;
    return false;
  }

  served(queue: string): boolean {
    return this.slotsByQueue.has(queue);
  }

  /** Alive workers' slots. */
  get slots(): number {
    return this.totalSlots;
  }

  /** A try became outstanding; `queue` null: not known yet (see `resolve`). */
  add(queue: string | null): void {
    if (queue === null) this.unknown++;
    else this.count(queue, 1);
  }

  /** An outstanding try whose queue was not known is of `queue`. */
  resolve(queue: string): void {
    this.unknown--;
    this.count(queue, 1);
  }

  /** An outstanding try was reported (or dropped). */
  remove(queue: string | null): void {
    if (queue === null) this.unknown--;
    else this.count(queue, -1);
  }

  /** Tries the scheduler may hand out now, whatever their queue. */
  free(): number {
    return Math.max(0, PREFETCH * this.totalSlots - this.outstandingServed - this.unknown);
  }

  /** Tries of `queue` the scheduler may hand out now. */
  freeOf(queue: string): number {
    const slots = this.slotsByQueue.get(queue);
    if (slots === undefined) return 0;
    return Math.max(0, Math.min(PREFETCH * slots - (this.outstandingByQueue.get(queue) ?? 0) - this.unknown, this.free()));
  }

  private count(queue: string, delta: number): void {
    const n = (this.outstandingByQueue.get(queue) ?? 0) + delta;
    if (n === 0) this.outstandingByQueue.delete(queue);
    else this.outstandingByQueue.set(queue, n);
    if (this.slotsByQueue.has(queue)) this.outstandingServed += delta;
  }
}
