// The tries a worker holds, run one after another. A try's result goes back before the next try starts,
// so the pool always knows which try is running; tries arrive in batches (one message for several).
// A worker that must retire (an error it can't blame on a running try) stops taking tries once the one
// running has finished; the pool gives the tries it still holds to other workers.
import type { FromWorker, TryJob, TryReport } from "./protocol.js";
import type { TryRunner } from "./run-try.js";
import { abortFailure } from "./task-failures.js";

export class TryQueue {
  private readonly jobs: TryJob[] = [];
  private draining = false;
  private outbox: TryReport[] = [];
  private flushScheduled = false;
  /** Set by `retire`: called once no try runs (and results are sent); no try starts after that. */
  private retiring: (() => void) | null = null;

  constructor(
    private readonly runner: TryRunner,
    private readonly send: (message: FromWorker) => void,
  ) {}

  add(jobs: readonly TryJob[]): void {
    if (this.retiring !== null) return; // the pool hands them to another worker when it hears we retire
    this.jobs.push(...jobs);
    if (!this.draining) this.drain();
  }

  /** Lets the running try (if any) finish and report, then calls `done`; no further try starts. */
  retire(done: () => void): void {
    if (this.retiring !== null) return;
    this.retiring = done;
    this.jobs.length = 0;
    if (!this.draining) this.finishRetiring();
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

  /**
   * Runs the held tries one after another. A try that ends synchronously is followed in this loop; one that
   * ends later continues the loop from its result (no promise per try: see TryRunner.run).
   */
  private drain(): void {
    this.draining = true;
    for (let job = this.jobs.shift(); job && this.retiring === null; job = this.jobs.shift()) {
      // Finished tries are reported before the next one starts: the pool takes the first unreported
      // try as the running one (for timeouts, and for blame if the worker dies).
      if (this.outbox.length > 0) this.flush();
      let sync: TryReport | null = null;
      let pending = true;
      this.runner.run(job, (report) => {
        if (pending) {
          sync = report;
          return;
        }
        this.report(report);
        this.drain();
      });
      pending = false;
      if (sync === null) return; // it ends later, and goes on from there
      this.report(sync);
    }
    this.draining = false;
    this.flush();
    if (this.retiring !== null) this.finishRetiring();
  }

  private finishRetiring(): void {
    this.flush();
    const done = this.retiring;
    this.retiring = () => {};
    done?.();
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
