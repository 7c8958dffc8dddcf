// The distributed executor (docs/distributed.md): the scheduler's `Executor` over the store. Submitted tries
// are queued in `try_queue` under the task's queue; `weir worker` processes anywhere claim them, run them and
// write their results back; this side polls for those results and calls `onResult` exactly once per try, as
// LocalWorkerPool does. It also watches heartbeats: a worker silent for `heartbeatTimeoutMs` is declared lost
// and the tries it held are reported lost (the engine retries them per policy). Loads and params, which the
// scheduler needs locally, go to a local preparer (a small LocalWorkerPool). A scheduler that took the lease
// over from another adopts the tries that one handed out (adopted-tries.ts) instead of running them again,
// and with a `fence` adopts, queues and removes nothing unless it holds the scheduler lease. A result stays in
// the store until the coordinator committed its decision (`committed`): a scheduler that dies in between
// leaves it to its successor instead of the try running again.
import { WeirError } from "../../common/errors.js";
import type { TaskFailure } from "../../engine/types.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { DistributedStore, QueuedTry } from "../../store/distributed-types.js";
import type { LeaseFence } from "../../store/types.js";
import type { EventPayloadCheck, LoadResult, ParamsResult, TryJob, TryResult } from "../../worker/protocol.js";
import { abortFailure } from "../../worker/task-failures.js";
import { AdoptedTries } from "./adopted-tries.js";
import { QueueCapacity } from "./queue-capacity.js";

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
  /** The scheduler lease this executor queues tries under: refused (`scheduler_fenced`) once it is lost. */
  fence?: LeaseFence;
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

export class StoreQueueExecutor {
  private readonly outstanding = new Map<string, TryJob>();
  private pending: TryJob[] = [];
  private readonly queuesByVersion = new Map<string, Map<string, string>>();
  /** The queue of each outstanding try once known (looked up from its pipeline version's graph). */
  private readonly queueOfTry = new Map<string, string>();
  /** What may be handed out now, per queue (queue-capacity.ts). */
  private readonly capacity = new QueueCapacity();
  /** A predecessor's tries, until the coordinator resumes their runs. */
  private readonly adopted = new AdoptedTries();
  /** Another scheduler took the lease: nothing more is queued or taken. */
  private fenced = false;
  /** Tries whose results' decisions are committed: their kept results are removed at the next poll. */
  private forget: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private flushScheduled = false;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private closed = false;
  private readonly pollMs: number | undefined;
  private readonly housekeepingMs: number;
  private lastHousekeepingMs = Number.NEGATIVE_INFINITY;
  private readonly heartbeatTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: StoreQueueExecutorOptions) {
    this.pollMs = options.pollMs;
    this.housekeepingMs = options.housekeepingMs ?? 500;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3 * heartbeatMsFromEnv();
    this.now = options.now ?? Date.now;
  }

  /**
   * Adopts what an earlier scheduler left in the queue, reads the workers' capacity and starts polling. With a
   * `fence`, `scheduler_fenced` (nothing adopted) unless its owner holds the lease: take the lease first.
   */
  async start(): Promise<void> {
    this.adopted.adopt(await this.options.queue.adoptOtherSchedulers(this.options.schedulerId, this.options.fence));
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
    return this.fenced ? 0 : this.capacity.free();
  }

  /** The same per queue: a backlog of one queue doesn't hold tries of the others back. */
  freeSlotsOf(queue: string): number {
    return this.fenced ? 0 : this.capacity.freeOf(queue);
  }

  /**
   * A try the run's previous driver handed out, found in the store when this scheduler took over: followed
   * from now on like one submitted here (its result comes through onResult). False: it was never queued.
   */
  reattach(tryKey: string): boolean {
    if (this.outstanding.has(tryKey)) return true;
    const adopted = this.adopted.take(tryKey);
    if (adopted === undefined) return false;
    this.outstanding.set(tryKey, adopted.job);
    this.queueOfTry.set(tryKey, adopted.queue);
    this.capacity.add(adopted.queue);
    const { outcome } = adopted;
    // Reported before its run was resumed: delivered now, after the coordinator has tracked the run.
    if (outcome !== undefined) queueMicrotask(() => this.deliver(tryKey, outcome.result, outcome.timing));
    return true;
  }

  submit(job: TryJob): void {
    if (this.closed) throw new Error("StoreQueueExecutor: submit after close");
    if (this.outstanding.has(job.tryKey)) throw new Error(`StoreQueueExecutor: try ${job.tryKey} was already submitted`);
    this.outstanding.set(job.tryKey, job);
    // Known at once for a pipeline version seen before: this tick's later claims already count it.
    const queue = this.queuesByVersion.get(`${job.pipelineId}@${job.version}`)?.get(job.taskId) ?? null;
    if (queue !== null) this.queueOfTry.set(job.tryKey, queue);
    this.capacity.add(queue);
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

  /** The coordinator committed the decisions of these tries' results: the store may let go of them. */
  committed(tryKeys: readonly string[]): void {
    for (const tryKey of tryKeys) this.forget.push(tryKey);
  }

  /** Alive workers' slots and tries submitted but not reported. */
  stats(): { capacity: number; outstanding: number } {
    return { capacity: this.capacity.slots, outstanding: this.outstanding.size };
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
    if (!this.outstanding.delete(tryKey)) {
      // An adopted try whose run is not resumed yet keeps it (and the store its row); otherwise reported
      // already (aborted before it was claimed): nothing will commit it.
      if (!this.adopted.keep(tryKey, result, timing)) this.forget.push(tryKey);
      return;
    }
    const queue = this.queueOfTry.get(tryKey) ?? null;
    this.queueOfTry.delete(tryKey);
    this.capacity.remove(queue);
    this.options.onResult(tryKey, result, timing);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 || this.fenced) return;
    const jobs = this.pending;
    this.pending = [];
    try {
      const tries: QueuedTry[] = [];
      for (const job of jobs) {
        const queue = await this.queueOf(job);
        const ref = { runId: job.runId, taskId: job.taskId, mapIndex: job.mapIndex, tryNumber: job.tryNumber };
        tries.push({ tryKey: job.tryKey, queue, jobJson: JSON.stringify(job), ref });
        if (this.outstanding.get(job.tryKey) !== job || this.queueOfTry.has(job.tryKey)) continue; // aborted meanwhile, or known
        this.queueOfTry.set(job.tryKey, queue);
        this.capacity.resolve(queue);
      }
      await this.options.queue.enqueueTries(this.options.schedulerId, tries, this.now(), this.options.fence);
    } catch (error) {
      if (isFenced(error)) this.fenced = true;
      // Kept for the next poll: the store may be back by then. Aborted meanwhile: not queued again.
      else this.pending = [...jobs.filter((job) => this.outstanding.get(job.tryKey) === job), ...this.pending];
      this.options.onError?.(error);
    }
  }

  /** Removes kept results whose decisions are committed; tried again at the next poll when the store fails. */
  private async forgetCommitted(): Promise<void> {
    if (this.forget.length === 0) return;
    const tryKeys = this.forget;
    this.forget = [];
    try {
      await this.options.queue.forgetResults(tryKeys, this.options.fence);
    } catch (error) {
      if (isFenced(error)) this.fenced = true;
      else this.forget = [...tryKeys, ...this.forget];
      throw error;
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
    if (this.fenced) return;
    await this.flush();
    await this.forgetCommitted();
    for (const report of await queue.takeResults(schedulerId, `${schedulerId}#kept`)) {
      const timing = report.startedMs !== null && report.endedMs !== null ? { startedMs: report.startedMs, endedMs: report.endedMs } : undefined;
      this.deliver(report.tryKey, JSON.parse(report.resultJson) as TryResult, timing);
    }
    const now = this.now();
    if (now - this.lastHousekeepingMs < this.housekeepingMs) return;
    this.lastHousekeepingMs = now;
    for (const lost of await queue.reapLostWorkers(schedulerId, this.heartbeatTimeoutMs, this.now(), this.options.fence)) {
      for (const tryKey of lost.tryKeys) {
        const job = this.outstanding.get(tryKey) ?? this.adopted.peek(tryKey);
        if (job !== undefined) this.deliver(tryKey, { outcome: "failure", error: lostFailure(job, lost.workerId, this.heartbeatTimeoutMs) });
      }
    }
    const alive = (await queue.listWorkers()).filter((w) => w.state === "alive");
    if (this.capacity.setWorkers(alive) && !this.closed) this.options.onCapacity?.();
  }
}

function isFenced(error: unknown): boolean {
  return error instanceof WeirError && error.code === "scheduler_fenced";
}

function lostFailure(job: TryJob, workerId: string, timeoutMs: number): TaskFailure {
  return {
    name: "WorkerLostError",
    message: `worker ${workerId} sent no heartbeat for ${Math.round(timeoutMs / 1000)}s while running task ${job.taskId}: declared lost`,
    kind: "lost",
    retryable: true,
  };
}
