// What the scheduler needs of an executor: somewhere to send tries and a way to stop them. The local
// worker pool and the store's try queue (src/executor/distributed) implement it.
import type { TryJob } from "../worker/protocol.js";

export interface Executor {
  /** Tries that can start now without waiting for a worker. */
  freeSlots(): number;
  /**
   * Tries of a task queue (`queue` of a task) that can start now, for an executor whose workers serve queues:
   * a backlog of one queue then doesn't hold back ready tries of another. Absent: every queue shares freeSlots().
   */
  freeSlotsOf?(queue: string): number;
  submit(job: TryJob): void;
  abort(tryKey: string, reason: "timeout" | "canceled"): void;
  /**
   * A try a run's previous driver handed out (the run is being resumed): true when this executor can still
   * follow it, and its result will come as a submitted try's does; false (or absent) when it was lost.
   */
  reattach?(tryKey: string): boolean;
  /** The decisions of these tries' results are committed: an executor that kept the results may drop them. */
  committed?(tryKeys: readonly string[]): void;
}
