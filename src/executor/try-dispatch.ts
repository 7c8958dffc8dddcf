// The pool's tries: the FIFO queue, handing tries to workers (several at once to a worker whose tries
// are quick), the timeout of each try from when it really starts (abort, then kill its worker after a
// grace), and exactly one result per submitted try. Which workers exist is the pool's business
// (local-pool.ts); this module only sees the workers it is given.
import type { TaskFailure } from "../engine/types.js";
import type { TryJob, TryReport, TryResult } from "../worker/protocol.js";
import { abortFailure } from "../worker/task-failures.js";
import type { WorkerHandle } from "./worker-handle.js";

export type TryTiming = { startedMs: number; endedMs: number };

export interface TryDispatchOptions {
  killGraceMs: number;
  /** False: every worker holds one try at a time, however quick its tries are. */
  batchQuickTries: boolean;
  onResult: (tryKey: string, result: TryResult, timing?: TryTiming) => void;
  onStarted?: ((tryKey: string, workerId: string) => void) | undefined;
  /** Kills a worker whose running try ignored its abort; the pool stops counting it and replaces it. */
  killWorker: (worker: WorkerHandle) => void;
}

interface RunningTry {
  job: TryJob;
  worker: WorkerHandle;
  /** First in its worker's list: running now (the others wait in the worker). */
  head: boolean;
  timeoutTimer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
  abortReason: "timeout" | "canceled" | null;
}

/** A try this short counts as quick; after QUICK_STREAK quick tries in a row a worker gets up to MAX_DEPTH. */
const QUICK_TRY_MS = 2;
const QUICK_STREAK = 3;
/**
 * 64, not 16: a tick then claims and commits up to 64 tries per worker at once, and each worker gets them
 * in one message. On the 2,000-task fan-out (bench W2) that cut commits 115 → 37 and driver CPU ~20%.
 */
const MAX_DEPTH = 64;

export class TryDispatch {
  private readonly queue: TryJob[] = [];
  private queueHead = 0;
  /** Keys of the tries in the queue (duplicate checks without a scan). */
  private readonly queuedKeys = new Set<string>();
  private readonly running = new Map<string, RunningTry>();

  constructor(private readonly options: TryDispatchOptions) {}

  /** Tries waiting for a worker. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Tries handed to workers and not reported yet (running or held behind the running one). */
  get inFlight(): number {
    return this.running.size;
  }

  submit(job: TryJob): void {
    if (this.running.has(job.tryKey) || this.queuedKeys.has(job.tryKey)) throw new Error(`LocalWorkerPool: try ${job.tryKey} was already submitted`);
    this.queue.push(job);
    this.queuedKeys.add(job.tryKey);
  }

  /** A queued try ends now; a held one ends when its worker says so (at once); a running one may need its worker killed. */
  abort(tryKey: string, reason: "timeout" | "canceled"): void {
    const running = this.running.get(tryKey);
    if (running) {
      this.abortRunning(running, reason);
      return;
    }
    if (!this.queuedKeys.has(tryKey)) return;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const job = this.queue[i] as TryJob;
      if (job.tryKey !== tryKey) continue;
      this.queue.splice(i, 1);
      this.queuedKeys.delete(tryKey);
      this.options.onResult(tryKey, { outcome: "failure", error: abortFailure(job, reason) });
      return;
    }
  }

  /** How many tries a worker may hold: several only while its tries keep finishing quickly. */
  depthOf(worker: WorkerHandle): number {
    return this.options.batchQuickTries && worker.quickStreak >= QUICK_STREAK ? MAX_DEPTH : 1;
  }

  /** Hands queued tries to `candidates` (idle workers first), each at most its fair share of the backlog. */
  dispatch(candidates: readonly WorkerHandle[]): void {
    for (const worker of candidates) {
      if (this.queued === 0) break;
      const depth = this.depthOf(worker);
      const room = depth - worker.tries.length;
      // A busy worker is refilled once half its depth is free: one message for several tries.
      if (room <= 0 || (worker.tries.length > 0 && room < Math.ceil(depth / 2))) continue;
      // Share the backlog: a worker takes at most its fair part, so all workers stay busy.
      const fair = Math.ceil(this.queued / Math.max(1, candidates.length));
      const jobs: TryJob[] = [];
      while (jobs.length < Math.min(room, Math.max(1, fair)) && this.queueHead < this.queue.length) {
        const job = this.queue[this.queueHead] as TryJob;
        this.queue[this.queueHead] = undefined as unknown as TryJob;
        this.queueHead++;
        this.queuedKeys.delete(job.tryKey);
        jobs.push(job);
      }
      this.startTries(worker, jobs);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Results a worker sent (one message for several): each reported once; the next held try starts its clock. */
  handleReports(worker: WorkerHandle, reports: readonly TryReport[]): void {
    for (let i = 0; i < reports.length; i++) {
      const report = reports[i] as TryReport;
      const running = this.running.get(report.tryKey);
      if (running?.worker !== worker) continue; // late: the try was already reported (killed, timed out)
      const at = worker.tries.indexOf(report.tryKey);
      if (at !== -1) worker.tries.splice(at, 1);
      // A try canceled before it started says nothing about how quick this worker's tries are.
      const ran = !(report.result.outcome === "failure" && report.result.error.kind === "canceled" && report.endedMs === report.startedMs);
      if (ran) worker.quickStreak = report.endedMs - report.startedMs <= QUICK_TRY_MS ? worker.quickStreak + 1 : 0;
      this.finishTry(running, report.result, { startedMs: report.startedMs, endedMs: report.endedMs });
    }
    this.markHead(worker);
  }

  /** The worker exited: the try at its head was running and fails with `how`; the tries behind it go back to the queue. */
  workerExited(worker: WorkerHandle, how: string, as: Pick<TaskFailure, "name" | "kind"> = { name: "WorkerCrashedError", kind: "error" }): void {
    const headKey = worker.tries[0];
    const head = headKey === undefined ? undefined : this.running.get(headKey);
    if (head?.worker === worker) {
      worker.tries.shift();
      this.finishTry(head, {
        outcome: "failure",
        error: { ...as, message: `${how} while running task ${head.job.taskId}`, retryable: true },
      });
    }
    this.detach(worker);
  }

  /**
   * Tries a worker held but never started (it is retiring, or was killed for another try) go back to
   * the front of the queue; one aborted meanwhile is reported aborted instead.
   */
  detach(worker: WorkerHandle): void {
    const waiting: TryJob[] = [];
    for (const key of worker.tries.splice(0)) {
      const running = this.running.get(key);
      if (running?.worker !== worker) continue;
      this.running.delete(key);
      clearTimers(running);
      if (running.abortReason !== null) this.options.onResult(key, { outcome: "failure", error: abortFailure(running.job, running.abortReason) });
      else waiting.push(running.job);
    }
    if (waiting.length === 0) return;
    this.queue.splice(this.queueHead, 0, ...waiting);
    for (const job of waiting) this.queuedKeys.add(job.tryKey);
  }

  /** Every queued try fails with `failure` (workers can't start). */
  failQueued(failure: TaskFailure): void {
    for (const job of this.takeQueued()) this.options.onResult(job.tryKey, { outcome: "failure", error: { ...failure } });
  }

  /** The pool is closing: every try still queued or on a worker is reported lost. */
  close(): void {
    const queued = this.takeQueued();
    for (const running of [...this.running.values()]) this.finishTry(running, { outcome: "failure", error: lostFailure(running.job, "the worker pool was closed while the try ran") });
    for (const job of queued) this.options.onResult(job.tryKey, { outcome: "failure", error: lostFailure(job, "the worker pool was closed before the try started") });
  }

  private takeQueued(): TryJob[] {
    const queued = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedKeys.clear();
    return queued;
  }

  private startTries(worker: WorkerHandle, jobs: TryJob[]): void {
    worker.state = "busy";
    worker.hold(true);
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as TryJob;
      this.running.set(job.tryKey, { job, worker, head: false, timeoutTimer: undefined, killTimer: undefined, abortReason: null });
      worker.tries.push(job.tryKey);
    }
    this.markHead(worker);
    worker.send({ kind: "run_tries", jobs });
    const onStarted = this.options.onStarted;
    if (onStarted !== undefined) for (let i = 0; i < jobs.length; i++) onStarted((jobs[i] as TryJob).tryKey, worker.id);
  }

  /** The worker's first try is the one running: its timeout counts from now. */
  private markHead(worker: WorkerHandle): void {
    const key = worker.tries[0];
    const running = key === undefined ? undefined : this.running.get(key);
    if (!running || running.head) return;
    running.head = true;
    if (running.abortReason !== null) {
      this.armKill(running);
      return;
    }
    const { timeoutMs } = running.job;
    if (timeoutMs !== null && timeoutMs !== undefined) running.timeoutTimer = setTimeout(() => this.abortRunning(running, "timeout"), timeoutMs);
  }

  private abortRunning(running: RunningTry, reason: "timeout" | "canceled"): void {
    if (running.abortReason !== null || this.running.get(running.job.tryKey) !== running) return;
    running.abortReason = reason;
    if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
    running.worker.send({ kind: "abort_try", tryKey: running.job.tryKey, reason });
    // A try waiting in its worker ends there at once; only the running one may need killing.
    if (running.head) this.armKill(running);
  }

  /** The task ignored its signal or blocks the event loop: after the grace, kill the worker and its children. */
  private armKill(running: RunningTry): void {
    if (running.killTimer || running.abortReason === null) return;
    const reason = running.abortReason;
    running.killTimer = setTimeout(() => {
      if (this.running.get(running.job.tryKey) !== running) return;
      const worker = running.worker;
      // Gone as far as capacity goes before anyone hears of it: a scheduler that submits from
      // onResult already sees the slot free.
      worker.state = "dead";
      this.finishTry(running, { outcome: "failure", error: abortFailure(running.job, reason) });
      this.detach(worker);
      this.options.killWorker(worker);
    }, this.options.killGraceMs);
  }

  /** Reports a try once: it leaves `running` before its result is delivered. */
  private finishTry(running: RunningTry, result: TryResult, timing?: TryTiming): void {
    if (this.running.get(running.job.tryKey) !== running) return;
    this.running.delete(running.job.tryKey);
    clearTimers(running);
    // A try that was aborted reports the abort, whatever the task did after it.
    if (running.abortReason !== null && !(result.outcome === "failure" && (result.error.kind === "timeout" || result.error.kind === "canceled"))) {
      result = { outcome: "failure", error: abortFailure(running.job, running.abortReason) };
    }
    this.options.onResult(running.job.tryKey, result, timing);
  }
}

function clearTimers(running: RunningTry): void {
  if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
  if (running.killTimer) clearTimeout(running.killTimer);
}

/**
 * A try the pool held and can't finish: the pool was closed under it. Not the scheduler's TryLostError
 * (scheduler/lost-try.ts), which is recorded for a try whose whole driver died (kill -9 of the
 * scheduler) and is found running in the store later; this one is reported by a live pool.
 */
function lostFailure(job: TryJob, why: string): TaskFailure {
  return { name: "WorkerLostError", message: `task ${job.taskId}: ${why}`, kind: "lost", retryable: true };
}
