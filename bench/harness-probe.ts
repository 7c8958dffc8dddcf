// bench/harness.ts's --diagnose: where the driving process spends the timed part, measured by wrapping the
// store's applyDecisions and the pool's submit/result (bench-only: nothing in src/ is changed for it).
import type { LocalWorkerPool } from "../src/executor/local-pool.js";
import type { Store } from "../src/store/types.js";
import type { TryResult } from "../src/worker/protocol.js";

/** With `diagnose`: where the time of the timed part went, in the driving process. */
export interface Diagnosis {
  commits: number;
  decisionsPerCommit: number;
  commitMsTotal: number;
  commitMsMean: number;
  submits: number;
  /** Wall and CPU time inside pool.submit (the IPC write of the job), mean. */
  submitMsMean: number;
  submitCpuMsMean: number;
  /** Submit → result, mean: IPC both ways + the worker's work. */
  roundTripMsMean: number;
  /** A result → the next submit, mean: the driver's turnaround (tick, decide, commit, dispatch). */
  turnaroundMsMean: number;
  /** With an instrumented worker: submit → worker receives, in the worker, worker sends → driver's onResult. */
  legsMsMean?: { toWorker: number; inWorker: number; fromWorker: number };
  /** Commits, submits and results in 10 ms buckets from the first commit: when each phase of the run happened. */
  timeline: TimelineBucket[];
}

/** One 10 ms slice of the timed part: how many of each event began in it, and the commit time spent. */
export interface TimelineBucket {
  atMs: number;
  commits: number;
  commitMs: number;
  decisions: number;
  submits: number;
  results: number;
}

/** Times commits and the submit/result flow by wrapping the two objects' methods (bench-only). */
export class Probe {
  private commits = 0;
  private decisions = 0;
  private commitNs = 0n;
  private readonly submitted = new Map<string, bigint>();
  private roundTripNs = 0n;
  private roundTrips = 0;
  private lastResult: bigint | null = null;
  private turnaroundNs = 0n;
  private turnarounds = 0;
  private submits = 0;
  private submitNs = 0n;
  private submitCpuUs = 0;
  private readonly submittedEpoch = new Map<string, number>();
  private readonly legs = { toWorker: 0, inWorker: 0, fromWorker: 0, n: 0 };
  private origin: number | null = null;
  private readonly buckets = new Map<number, TimelineBucket>();

  private bucket(at: number): TimelineBucket {
    this.origin ??= at;
    const key = Math.floor((at - this.origin) / 10) * 10;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { atMs: key, commits: 0, commitMs: 0, decisions: 0, submits: 0, results: 0 }));
    return bucket;
  }

  wrap(store: Store, pool: LocalWorkerPool): void {
    const apply = store.applyDecisions.bind(store);
    store.applyDecisions = async (decisions) => {
      const t0 = process.hrtime.bigint();
      const bucket = this.bucket(performance.now());
      try {
        return await apply(decisions);
      } finally {
        const spent = process.hrtime.bigint() - t0;
        bucket.commits++;
        bucket.commitMs += Number(spent) / 1e6;
        bucket.decisions += decisions.length;
        this.commitNs += spent;
        this.commits++;
        this.decisions += decisions.length;
      }
    };
    const submit = pool.submit.bind(pool);
    pool.submit = (job) => {
      const now = process.hrtime.bigint();
      this.submits++;
      this.bucket(performance.now()).submits++;
      this.submitted.set(job.tryKey, now);
      this.submittedEpoch.set(job.tryKey, performance.timeOrigin + performance.now());
      if (this.lastResult !== null) {
        this.turnaroundNs += now - this.lastResult;
        this.turnarounds++;
        this.lastResult = null;
      }
      const cpu = process.cpuUsage();
      submit(job);
      const spent = process.cpuUsage(cpu);
      this.submitNs += process.hrtime.bigint() - now;
      this.submitCpuUs += spent.user + spent.system;
    };
  }

  result(tryKey: string, result: TryResult): void {
    const now = process.hrtime.bigint();
    this.bucket(performance.now()).results++;
    const sent = this.submitted.get(tryKey);
    if (sent !== undefined) {
      this.roundTripNs += now - sent;
      this.roundTrips++;
    }
    // Stamped by an instrumented worker wrapper (epoch ms): split the round trip into its legs.
    const stamps = (result as { __t?: { recv: number; send: number } }).__t;
    const sentEpoch = this.submittedEpoch.get(tryKey);
    if (stamps && sentEpoch !== undefined) {
      const arrived = performance.timeOrigin + performance.now();
      this.legs.toWorker += stamps.recv - sentEpoch;
      this.legs.inWorker += stamps.send - stamps.recv;
      this.legs.fromWorker += arrived - stamps.send;
      this.legs.n++;
    }
    this.lastResult ??= now;
  }

  report(): Diagnosis {
    const ms = (ns: bigint, n: number): number => (n === 0 ? 0 : Number(ns) / 1e6 / n);
    return {
      commits: this.commits,
      decisionsPerCommit: this.commits === 0 ? 0 : this.decisions / this.commits,
      commitMsTotal: Number(this.commitNs) / 1e6,
      commitMsMean: ms(this.commitNs, this.commits),
      submits: this.submits,
      submitMsMean: ms(this.submitNs, this.submits),
      submitCpuMsMean: this.submits === 0 ? 0 : this.submitCpuUs / 1000 / this.submits,
      roundTripMsMean: ms(this.roundTripNs, this.roundTrips),
      turnaroundMsMean: ms(this.turnaroundNs, this.turnarounds),
      ...(this.legs.n > 0
        ? { legsMsMean: { toWorker: this.legs.toWorker / this.legs.n, inWorker: this.legs.inWorker / this.legs.n, fromWorker: this.legs.fromWorker / this.legs.n } }
        : {}),
      timeline: [...this.buckets.values()].sort((a, b) => a.atMs - b.atMs),
    };
  }
}
