// The tries a worker holds, run one after another. A try's result goes back before the next try starts,
// so the pool always knows which try is running; tries arrive in batches (one message for several).
import type { FromWorker, TryJob, TryReport } from "./protocol.js";
import type { TryRunner } from "./run-try.js";
import { abortFailure } from "./task-failures.js";

export class TryQueue {
  private readonly jobs: TryJob[] = [];
  private draining = false;
  private outbox: TryReport[] = [];
  private flushScheduled = false;

  constructor(
    private readonly runner: TryRunner,
    private readonly send: (message: FromWorker) => void,
  ) {}

  add(jobs: readonly TryJob[]): void {
    this.jobs.push(...jobs);
    if (!this.draining) void this.drain();
  }

  /** A try still waiting here ends at once as aborted; the running one gets its signal fired. */
  abort(tryKey: string, reason: "timeout" | "canceled"): void {
    const index = this.jobs.findIndex((job) => job.tryKey === tryKey);
    if (index === -1) {
      this.runner.abort(tryKey, reason);
      return;
    }
    const [job] = this.jobs.splice(index, 1) as [TryJob];
    const now = Date.now();
    this.report({ tryKey, result: { outcome: "failure", error: abortFailure(job, reason) }, startedMs: now, endedMs: now });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
        // Finished tries are reported before the next one starts: the pool takes the first unreported
        // try as the running one (for timeouts, and for blame if the worker dies).
        if (this.outbox.length > 0) this.flush();
        this.report(await this.runner.run(job));
      }
    } finally {
      this.draining = false;
      this.flush();
    }
  }

  private report(report: TryReport): void {
    this.outbox.push(report);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.outbox.length === 0) return;
    const reports = this.outbox;
    this.outbox = [];
    this.send({ kind: "try_results", reports });
  }
}
