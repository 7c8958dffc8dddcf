// The distributed executor (docs/distributed.md): the scheduler's `Executor` over the store. Submitted tries
// are queued in `try_queue` under the task's queue; `weir worker` processes anywhere claim them, run them and
// write their results back; this side polls for those results and calls `onResult` exactly once per try, as
// LocalWorkerPool does. It also watches heartbeats: a worker silent for `heartbeatTimeoutMs` is declared lost
// and the tries it held are reported lost (the engine retries them per policy). Loads and params, which the
// scheduler needs locally, go to a local preparer (a small LocalWorkerPool).
import type { TaskFailure } from "../../engine/types.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { DistributedStore, QueuedTry } from "../../store/distributed-types.js";
import type { EventPayloadCheck, LoadResult, ParamsResult, TryJob, TryResult } from "../../worker/protocol.js";
import { abortFailure } from "../../worker/task-failures.js";

export interface RunPreparer {
  load(file: string): Promise<LoadResult>;
  parseParams(request: { file: string; pipelineId: string; raw?: Record<string, string>; values?: Record<string, unknown>; event?: EventPayloadCheck }): Promise<ParamsResult>;
}

export interface StoreQueueExecutorOptions {
  queue: DistributedStore;
  /** Where a job's task queue is looked up (the store's registered pipeline versions). */
  graphs: { getPipelineVersion(pipelineId: string, version: string): Promise<PipelineGraph | null> };
  /** Unique per scheduler process: whose results are whose. */
  schedulerId: string;
  preparer: RunPreparer;
  onResult: (tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }) => void;
  /** Workers' free capacity may have grown (a worker registered): the scheduler looks for work again. */
  onCapacity?: () => void;
  /** Something went wrong talking to the store; the executor keeps polling. */
  onError?: (error: unknown) => void;
  /** Between polls for results (default 50 ms; 500 ms where the store wakes us, Postgres). */
  pollMs?: number;
  /** Between looks at heartbeats and capacity (default 500 ms). */
  housekeepingMs?: number;
  /** A worker whose last heartbeat is older than this is lost (default 3 × WEIR_WORKER_HEARTBEAT_MS, i.e. 6 s). */
  heartbeatTimeoutMs?: number;
  now?: () => number;
}

/** How often workers heartbeat unless told otherwise. */
export const DEFAULT_HEARTBEAT_MS = 2000;

export function heartbeatMsFromEnv(): number {
  const n = Number(process.env.WEIR_WORKER_HEARTBEAT_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_HEARTBEAT_MS;
}

/** Tries kept queued or running per worker slot (see freeSlots). */
const PREFETCH = 2;

export class StoreQueueExecutor {
  private readonly outstanding = new Map<string, TryJob>();
  private pending: TryJob[] = [];
  private readonly queuesByVersion = new Map<string, Map<string, string>>();
  private capacity = 0;
  /** The queue of each submitted try once known (it is looked up when the try is queued in the store). */
  private readonly queueOfTry = new Map<string, string>();
  /** Queues some alive worker serves. */
  private served = new Set<string>();
  /**
   * Outstanding tries of queues no alive worker serves: they wait in the store without taking capacity,
   * so tries of other queues still go out meanwhile.
   */
  private waitingForQueue = 0;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private flushScheduled = false;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private closed = false;
  private readonly pollMs: number | undefined;
  private readonly housekeepingMs: number;
  private lastHousekeepingMs = Number.NEGATIVE_INFINITY;
  private housekeepings = 0;
  private readonly heartbeatTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: StoreQueueExecutorOptions) {
    this.pollMs = options.pollMs;
    this.housekeepingMs = options.housekeepingMs ?? 500;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3 * heartbeatMsFromEnv();
    this.now = options.now ?? Date.now;
  }

  /** Clears what an earlier scheduler left in the queue, reads the workers' capacity and starts polling. */
  async start(): Promise<void> {
    await this.options.queue.dropOtherSchedulers(this.options.schedulerId);
    // Postgres: a result wakes us at once; polling stays, for heartbeats, capacity and a lost connection.
    this.unsubscribe = await this.options.queue.subscribe("results", () => void this.poll());
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollMs ?? (this.unsubscribe === null ? 50 : 500));
  }

  /**
   * Twice the alive workers' slots, minus tries not reported yet: a worker that finishes a try finds the
   * next one already queued instead of waiting a round trip through the scheduler.
   */
  freeSlots(): number {
    return Math.max(0, PREFETCH * this.capacity - (this.outstanding.size - this.waitingForQueue));
  }

  submit(job: TryJob): void {
    if (this.closed) throw new Error("StoreQueueExecutor: submit after close");
    if (this.outstanding.has(job.tryKey)) throw new Error(`StoreQueueExecutor: try ${job.tryKey} was already submitted`);
    this.outstanding.set(job.tryKey, job);
    this.pending.push(job);
    // Submits of one synchronous stretch (a scheduler tick) go to the store in one transaction.
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  abort(tryKey: string, reason: "timeout" | "canceled"): void {
    const job = this.outstanding.get(tryKey);
    if (job === undefined) return;
    const at = this.pending.indexOf(job);
    if (at !== -1) {
      this.pending.splice(at, 1);
      this.deliver(tryKey, { outcome: "failure", error: abortFailure(job, reason) });
      return;
    }
    // A claimed try is aborted by its worker, whose result then comes back like every other.
    this.options.queue.requestAbort(tryKey, reason).then(
      (outcome) => {
        if (outcome === "dequeued") this.deliver(tryKey, { outcome: "failure", error: abortFailure(job, reason) });
      },
      (error: unknown) => this.options.onError?.(error),
    );
  }

  load(file: string): Promise<LoadResult> {
    return this.options.preparer.load(file);
  }

  parseParams(request: Parameters<RunPreparer["parseParams"]>[0]): Promise<ParamsResult> {
    return this.options.preparer.parseParams(request);
  }

  /** Alive workers' slots and tries submitted but not reported. */
  stats(): { capacity: number; outstanding: number } {
    return { capacity: this.capacity, outstanding: this.outstanding.size };
  }

  /** Stops polling. Tries on workers keep running; a scheduler started later finds them lost and retries them. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    await this.polling;
  }

  private deliver(tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }): void {
    if (!this.outstanding.delete(tryKey)) return; // reported already (aborted before it was claimed)
    const queue = this.queueOfTry.get(tryKey);
    this.queueOfTry.delete(tryKey);
    if (queue !== undefined && !this.served.has(queue)) this.waitingForQueue--;
    this.options.onResult(tryKey, result, timing);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const jobs = this.pending;
    this.pending = [];
    try {
      const tries: QueuedTry[] = [];
      for (const job of jobs) tries.push({ tryKey: job.tryKey, queue: await this.queueOf(job), jobJson: JSON.stringify(job) });
      await this.options.queue.enqueueTries(this.options.schedulerId, tries, this.now());
      for (const t of tries) {
        if (!this.outstanding.has(t.tryKey) || this.queueOfTry.has(t.tryKey)) continue; // aborted meanwhile
        this.queueOfTry.set(t.tryKey, t.queue);
        if (!this.served.has(t.queue)) this.waitingForQueue++;
      }
    } catch (error) {
      // Kept for the next poll: the store may be back by then. Aborted meanwhile: not queued again.
      this.pending = [...jobs.filter((job) => this.outstanding.get(job.tryKey) === job), ...this.pending];
      this.options.onError?.(error);
    }
  }

  private async queueOf(job: TryJob): Promise<string> {
    const key = `${job.pipelineId}@${job.version}`;
    let queues = this.queuesByVersion.get(key);
    if (queues === undefined) {
      const graph = await this.options.graphs.getPipelineVersion(job.pipelineId, job.version);
      queues = new Map((graph?.tasks ?? []).map((task) => [task.id, task.queue]));
      this.queuesByVersion.set(key, queues);
    }
    return queues.get(job.taskId) ?? "default";
  }

  private poll(): Promise<void> {
    if (this.closed) return this.polling ?? Promise.resolve();
    if (this.polling !== null) {
      // A wake-up during a poll may be for a result that poll already missed: one more pass after it.
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = this.pollOnce()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.polling = null;
        if (this.pollAgain) {
          this.pollAgain = false;
          void this.poll();
        }
      });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const { queue, schedulerId } = this.options;
    await this.flush();
    for (const report of await queue.takeResults(schedulerId)) {
      const timing = report.startedMs !== null && report.endedMs !== null ? { startedMs: report.startedMs, endedMs: report.endedMs } : undefined;
      this.deliver(report.tryKey, JSON.parse(report.resultJson) as TryResult, timing);
    }
    const now = this.now();
    if (now - this.lastHousekeepingMs < this.housekeepingMs) return;
    this.lastHousekeepingMs = now;
    // One scheduler per store (its lease): rows of another are a dead predecessor's, reported after we
    // started (the tries it had claimed, ended by their abort): nobody will take them.
    if (++this.housekeepings % 10 === 0) await queue.dropOtherSchedulers(schedulerId);
    for (const lost of await queue.reapLostWorkers(schedulerId, this.heartbeatTimeoutMs, this.now())) {
      for (const tryKey of lost.tryKeys) {
        const job = this.outstanding.get(tryKey);
        if (job !== undefined) this.deliver(tryKey, { outcome: "failure", error: lostFailure(job, lost.workerId, this.heartbeatTimeoutMs) });
      }
    }
    const before = this.freeSlots();
    const alive = (await queue.listWorkers()).filter((w) => w.state === "alive");
    this.capacity = alive.reduce((sum, w) => sum + w.slots, 0);
    this.served = new Set(alive.flatMap((w) => w.queues));
    this.waitingForQueue = 0;
    for (const q of this.queueOfTry.values()) if (!this.served.has(q)) this.waitingForQueue++;
    if (this.freeSlots() > before && !this.closed) this.options.onCapacity?.();
  }
}

function lostFailure(job: TryJob, workerId: string, timeoutMs: number): TaskFailure {
  return {
    name: "WorkerLostError",
    message: `worker ${workerId} sent no heartbeat for ${Math.round(timeoutMs / 1000)}s while running task ${job.taskId}: declared lost`,
    kind: "lost",
    retryable: true,
  };
}
