// The tries a scheduler found in the store's queue when it took the scheduler lease over (docs/distributed.md,
// "Several schedulers"): queued, claimed by workers that go on running them, or already reported. Each waits
// here until the coordinator, resuming its run, asks for it (`take`): then it is followed like a try this
// scheduler sent, and its result, even one that came before, is delivered once. A result or a lost worker
// that comes first is kept for that moment (and a reported result stays in the store until its decision is
// committed). Nothing expires on a timer: a try of a live worker dropped here would be recorded lost and run
// again while it still runs. Tries are never stopped from here either: a scheduler frozen since its start must
// not stop its successor's tries.
import type { AdoptedTry } from "../../store/distributed-types.js";
import type { TryJob, TryResult } from "../../worker/protocol.js";

export interface Adopted {
  job: TryJob;
  queue: string;
  /** What came back before the coordinator asked for the try. */
  outcome?: { result: TryResult; timing?: { startedMs: number; endedMs: number } };
}

export class AdoptedTries {
  private readonly tries = new Map<string, Adopted>();

  adopt(rows: readonly AdoptedTry[]): void {
    for (const row of rows) this.tries.set(row.tryKey, { job: JSON.parse(row.jobJson) as TryJob, queue: row.queue });
  }

  /** The adopted try, handed over to the caller (undefined: never adopted, or taken already). */
  take(tryKey: string): Adopted | undefined {
    const adopted = this.tries.get(tryKey);
    this.tries.delete(tryKey);
    return adopted;
  }

  /** The job of an adopted try not taken yet. */
  peek(tryKey: string): TryJob | undefined {
    return this.tries.get(tryKey)?.job;
  }

  /** Keeps what came back for an adopted try nobody asked for yet; false when it is not one. */
  keep(tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }): boolean {
    const adopted = this.tries.get(tryKey);
    if (adopted === undefined) return false;
    adopted.outcome ??= timing === undefined ? { result } : { result, timing };
    return true;
  }
}
