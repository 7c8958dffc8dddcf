// What the scheduler needs of an executor: somewhere to send tries and a way to stop them. The local
// worker pool implements it now; a distributed executor claiming from the store comes later.
import type { TryJob } from "../worker/protocol.js";

export interface Executor {
  /** Tries that can start now without waiting for a worker. */
  freeSlots(): number;
  submit(job: TryJob): void;
  abort(tryKey: string, reason: "timeout" | "canceled"): void;
}
