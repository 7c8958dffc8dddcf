// The local executor: a pool of reusable worker processes on this machine. Tries queue FIFO and go to
// workers with room; workers are forked lazily up to `size` (cold start matters more than warm-up), kept
// for many tries, and replaced when they die. A worker whose recent tries were quick gets several at
// once (one message), so trivial tasks don't pay an IPC round trip each; a worker running slow tasks gets
// one at a time, so a try is never held behind a long one. The pool enforces timeouts (abort, then kill
// the worker's process group after a grace) and reports every submitted try's result exactly once.
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TaskFailure } from "../engine/types.js";
import type { FromWorker, LoadResult, ParamsResult, TryJob, TryReport, TryResult } from "../worker/protocol.js";
import { abortFailure } from "../worker/task-failures.js";
import { takePrewarmedWorkers } from "./prewarm.js";
import { WorkerHandle } from "./worker-handle.js";

export interface LocalWorkerPoolOptions {
  /** Most worker processes at once (default: the machine's available parallelism). */
  size?: number;
  /** The worker entry (default: dist/worker.js of this package). */
  workerScript?: string;
  /** Extra environment of the workers (on top of this process's). */
  env?: Record<string, string>;
  /** Between aborting a try (timeout, cancel) and killing its worker if it hasn't stopped (default 5000). */
  killGraceMs?: number;
  /** Longest a file may take to load before its worker is killed (default 30000). */
  loadTimeoutMs?: number;
  /** IPC serialization of the worker channel (default "json": faster for our small messages). */
  serialization?: "json" | "advanced";
  /** Called once per submitted try; `timing` is when it really ran on its worker, when it did. */
  onResult: (tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }) => void;
  /** Called when a try is handed to a worker (a worker acknowledgement would cost an IPC message per try). */
  onStarted?: (tryKey: string, workerId: string) => void;
}

export interface ParseParamsRequest {
  file: string;
  pipelineId: string;
  raw?: Record<string, string>;
  values?: Record<string, unknown>;
}

export interface PoolStats {
  size: number;
  workers: number;
  starting: number;
  idle: number;
  busy: number;
  queued: number;
  running: number;
  /** Workers forked since the pool was made (replacements included). */
  spawned: number;
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

type Request =
  | { kind: "load"; requestId: number; file: string; resolve: (result: LoadResult) => void }
  | { kind: "params"; requestId: number; request: ParseParamsRequest; resolve: (result: ParamsResult) => void };

interface PendingRequest {
  request: Request;
  worker: WorkerHandle;
  timer: NodeJS.Timeout | undefined;
}

/** Consecutive workers dying before they are ready after which queued work fails instead of looping. */
const MAX_START_FAILURES = 3;
/** A try this short counts as quick; after QUICK_STREAK quick tries in a row a worker gets up to MAX_DEPTH. */
const QUICK_TRY_MS = 2;
const QUICK_STREAK = 3;
const MAX_DEPTH = 16;

export class LocalWorkerPool {
  readonly size: number;
  private readonly script: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly killGraceMs: number;
  private readonly loadTimeoutMs: number;
  private readonly serialization: "json" | "advanced";
  private readonly onResult: LocalWorkerPoolOptions["onResult"];
  private readonly onStarted: LocalWorkerPoolOptions["onStarted"];

  private readonly workers = new Set<WorkerHandle>();
  /** Idle workers, most recently used last (its caches are warmest). */
  private readonly idle: WorkerHandle[] = [];
  private readonly tryQueue: TryJob[] = [];
  private tryQueueHead = 0;
  /** Keys of the tries in tryQueue (duplicate checks without a scan). */
  private readonly queuedKeys = new Set<string>();
  private readonly requestQueue: Request[] = [];
  private readonly running = new Map<string, RunningTry>();
  private pumpScheduled = false;
  private readonly requests = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private startFailures = 0;
  private spawned = 0;
  private closed = false;

  constructor(options: LocalWorkerPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.script = options.workerScript ?? defaultWorkerScript();
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
    this.serialization = options.serialization ?? "json";
    this.env = { ...process.env, ...options.env, WEIR_KILL_GRACE_MS: String(this.killGraceMs) };
    this.onResult = options.onResult;
    this.onStarted = options.onStarted;
    for (const worker of takePrewarmedWorkers(this.size)) {
      this.spawned++;
      this.workers.add(worker);
      worker.attach(this.listener);
    }
  }

  private readonly listener = {
    onMessage: (w: WorkerHandle, message: FromWorker) => this.handleMessage(w, message),
    onExit: (w: WorkerHandle, code: number | null, signal: NodeJS.Signals | null) => this.handleExit(w, code, signal),
  };

  /** The worker script this pool forks (dist/worker.js unless told otherwise). */
  static defaultWorkerScript(): string {
    return defaultWorkerScript();
  }

  /** Queues a try; its result arrives through `onResult`, exactly once. */
  submit(job: TryJob): void {
    if (this.closed) throw new Error("LocalWorkerPool: submit after close");
    if (this.running.has(job.tryKey) || this.queuedKeys.has(job.tryKey)) throw new Error(`LocalWorkerPool: try ${job.tryKey} was already submitted`);
    this.tryQueue.push(job);
    this.queuedKeys.add(job.tryKey);
    this.schedulePump();
  }

  /** Stops a try: a queued one ends now, a running one gets its signal aborted and, after the grace, its worker killed. */
  abort(tryKey: string, reason: "timeout" | "canceled"): void {
    const running = this.running.get(tryKey);
    if (running) {
      this.abortRunning(running, reason);
      return;
    }
    if (!this.queuedKeys.has(tryKey)) return;
    for (let i = this.tryQueueHead; i < this.tryQueue.length; i++) {
      const job = this.tryQueue[i] as TryJob;
      if (job.tryKey !== tryKey) continue;
      this.tryQueue.splice(i, 1);
      this.queuedKeys.delete(tryKey);
      this.onResult(tryKey, { outcome: "failure", error: abortFailure(job, reason) });
      return;
    }
  }

  /** Imports a pipeline file in a worker and returns its compiled pipelines and problems. Never rejects. */
  load(file: string): Promise<LoadResult> {
    const path = resolve(file);
    if (this.closed) return Promise.resolve(loadProblem(path, "pool_closed", "the worker pool is closed"));
    return new Promise((resolve) => {
      this.requestQueue.push({ kind: "load", requestId: this.nextRequestId++, file: path, resolve });
      this.pump();
    });
  }

  /** Validates params against a pipeline's schema, in a worker (the schema is user code). Never rejects. */
  parseParams(request: ParseParamsRequest): Promise<ParamsResult> {
    const normalized = { ...request, file: resolve(request.file) };
    if (this.closed) return Promise.resolve({ ok: false, problems: [{ param: "", message: "the worker pool is closed" }] });
    return new Promise((resolve) => {
      this.requestQueue.push({ kind: "params", requestId: this.nextRequestId++, request: normalized, resolve });
      this.pump();
    });
  }

  /** Tries that can start now without waiting for another try to finish. */
  freeSlots(): number {
    let room = this.size - this.workers.size; // workers not forked yet take one try each
    for (const worker of this.workers) if (worker.state !== "dead") room += Math.max(0, this.depthOf(worker) - worker.tries.length - (worker.request === null ? 0 : 1));
    return Math.max(0, room - this.queuedTries() - this.requestQueue.length);
  }

  stats(): PoolStats {
    let starting = 0;
    let busy = 0;
    for (const worker of this.workers) {
      if (worker.state === "starting") starting++;
      else if (worker.state === "busy") busy++;
    }
    return {
      size: this.size,
      workers: this.workers.size,
      starting,
      idle: this.idle.length,
      busy,
      queued: this.queuedTries() + this.requestQueue.length,
      running: this.running.size,
      spawned: this.spawned,
    };
  }

  /**
   * Kills every worker (and what its tasks started) and waits for them to exit. Tries still queued or
   * running are reported lost; pending loads resolve with a problem.
   */
  async close(): Promise<void> {
    if (this.closed) {
      await Promise.all([...this.workers].map((w) => w.exited));
      return;
    }
    this.closed = true;
    const queued = this.tryQueue.slice(this.tryQueueHead);
    this.tryQueue.length = 0;
    this.tryQueueHead = 0;
    this.queuedKeys.clear();
    const requests = this.requestQueue.splice(0);
    const workers = [...this.workers];
    // Ask first: a worker that exits by itself also kills the process groups of running shell commands
    // (which lead their own groups); one that doesn't answer within the grace is killed with its group.
    for (const worker of workers) {
      worker.hold(true);
      worker.send({ kind: "shutdown" });
    }
    const killTimer = setTimeout(() => {
      for (const worker of workers) worker.kill();
    }, Math.min(this.killGraceMs, 2000));
    for (const running of [...this.running.values()]) {
      this.finishTry(running, { outcome: "failure", error: lostFailure(running.job, "the worker pool was closed while the try ran") });
    }
    for (const job of queued) this.onResult(job.tryKey, { outcome: "failure", error: lostFailure(job, "the worker pool was closed before the try started") });
    for (const pending of [...this.requests.values()]) this.finishRequest(pending, "the worker pool was closed");
    for (const request of requests) resolveRequestWithProblem(request, "the worker pool was closed");
    await Promise.all(workers.map((w) => w.exited));
    clearTimeout(killTimer);
  }

  // --- dispatch ---

  private queuedTries(): number {
    return this.tryQueue.length - this.tryQueueHead;
  }

  /** Submits of one synchronous stretch (a scheduler tick) go out together, one message per worker. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** How many tries a worker may hold: several only while its tries keep finishing quickly. */
  private depthOf(worker: WorkerHandle): number {
    return worker.quickStreak >= QUICK_STREAK ? MAX_DEPTH : 1;
  }

  private pump(): void {
    if (this.closed) return;
    // Loads and params go first: someone is waiting on them interactively.
    while (this.idle.length > 0 && this.requestQueue.length > 0) this.startRequest(this.idle.pop() as WorkerHandle, this.requestQueue.shift() as Request);
    // Idle workers first (most recently used last), then workers with room for more quick tries.
    const candidates = [...this.idle.slice().reverse(), ...[...this.workers].filter((w) => w.state === "busy" && w.request === null)];
    for (const worker of candidates) {
      if (this.tryQueueHead >= this.tryQueue.length) break;
      const depth = this.depthOf(worker);
      const room = depth - worker.tries.length;
      // A busy worker is refilled once half its depth is free: one message for several tries.
      if (room <= 0 || (worker.tries.length > 0 && room < Math.ceil(depth / 2))) continue;
      // Share the backlog: a worker takes at most its fair part, so all workers stay busy.
      const fair = Math.ceil(this.queuedTries() / Math.max(1, candidates.length));
      const jobs: TryJob[] = [];
      while (jobs.length < Math.min(room, Math.max(1, fair)) && this.tryQueueHead < this.tryQueue.length) {
        const job = this.tryQueue[this.tryQueueHead] as TryJob;
        this.tryQueue[this.tryQueueHead] = undefined as unknown as TryJob;
        this.tryQueueHead++;
        this.queuedKeys.delete(job.tryKey);
        jobs.push(job);
      }
      if (worker.state === "idle") this.removeIdle(worker);
      this.startTries(worker, jobs);
    }
    if (this.tryQueueHead > 1024 && this.tryQueueHead * 2 > this.tryQueue.length) {
      this.tryQueue.splice(0, this.tryQueueHead);
      this.tryQueueHead = 0;
    }
    // Fork only as many workers as there is waiting work not already covered by starting ones.
    let starting = 0;
    for (const worker of this.workers) if (worker.state === "starting") starting++;
    let needed = this.queuedTries() + this.requestQueue.length - starting;
    while (needed > 0 && this.workers.size < this.size) {
      this.spawn();
      needed--;
    }
  }

  private spawn(): void {
    const worker = new WorkerHandle({ script: this.script, env: this.env, serialization: this.serialization, ...this.listener });
    this.spawned++;
    worker.hold(true);
    this.workers.add(worker);
  }

  private startTries(worker: WorkerHandle, jobs: TryJob[]): void {
    worker.state = "busy";
    worker.hold(true);
    for (const job of jobs) {
      const running: RunningTry = { job, worker, head: false, timeoutTimer: undefined, killTimer: undefined, abortReason: null };
      this.running.set(job.tryKey, running);
      worker.tries.push(job.tryKey);
    }
    this.markHead(worker);
    worker.send({ kind: "run_tries", jobs });
    for (const job of jobs) this.onStarted?.(job.tryKey, worker.id);
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

  private startRequest(worker: WorkerHandle, request: Request): void {
    worker.state = "busy";
    worker.request = request.requestId;
    worker.hold(true);
    const pending: PendingRequest = { request, worker, timer: undefined };
    this.requests.set(request.requestId, pending);
    pending.timer = setTimeout(() => {
      const file = request.kind === "load" ? request.file : request.request.file;
      this.finishRequest(pending, `loading ${file} took longer than ${Math.round(this.loadTimeoutMs / 1000)}s (does it loop or block at import?)`, "load_timeout");
      worker.kill();
    }, this.loadTimeoutMs);
    if (request.kind === "load") worker.send({ kind: "load", requestId: request.requestId, file: request.file });
    else worker.send({ kind: "parse_params", requestId: request.requestId, ...request.request });
  }

  private abortRunning(running: RunningTry, reason: "timeout" | "canceled"): void {
    if (running.abortReason !== null || this.running.get(running.job.tryKey) !== running) return;
    running.abortReason = reason;
    if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
    running.worker.send({ kind: "abort_try", tryKey: running.job.tryKey, reason });
    // A try waiting in its worker ends there at once; only the running one may need killing.
    if (running.head) this.armKill(running);
  }

  /** The task ignored its signal or blocks the event loop: kill the worker and its children. */
  private armKill(running: RunningTry): void {
    if (running.killTimer || running.abortReason === null) return;
    const reason = running.abortReason;
    running.killTimer = setTimeout(() => {
      if (this.running.get(running.job.tryKey) !== running) return;
      const worker = running.worker;
      this.finishTry(running, { outcome: "failure", error: abortFailure(running.job, reason) });
      this.detachTries(worker, "its worker was killed after it ignored an abort");
      worker.state = "dead";
      this.removeIdle(worker);
      worker.kill();
    }, this.killGraceMs);
  }

  /** Tries a dead or killed worker held but never started go back to the front of the queue. */
  private detachTries(worker: WorkerHandle, _why: string): void {
    const waiting: TryJob[] = [];
    for (const key of worker.tries.splice(0)) {
      const running = this.running.get(key);
      if (running?.worker !== worker) continue;
      this.running.delete(key);
      if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
      if (running.killTimer) clearTimeout(running.killTimer);
      if (running.abortReason !== null) this.onResult(key, { outcome: "failure", error: abortFailure(running.job, running.abortReason) });
      else waiting.push(running.job);
    }
    if (waiting.length === 0) return;
    this.tryQueue.splice(this.tryQueueHead, 0, ...waiting);
    for (const job of waiting) this.queuedKeys.add(job.tryKey);
  }

  // --- worker events ---

  private handleMessage(worker: WorkerHandle, message: FromWorker): void {
    switch (message.kind) {
      case "ready":
        if (worker.state !== "starting") return;
        this.startFailures = 0;
        this.becomeIdle(worker);
        this.pump();
        return;
      case "try_results": {
        for (const report of message.reports) this.handleReport(worker, report);
        this.markHead(worker);
        if (worker.state === "busy" && worker.tries.length === 0 && worker.request === null) this.becomeIdle(worker);
        // Results read together (one read of the channel) refill workers together.
        this.schedulePump();
        return;
      }
      case "loaded":
      case "params_parsed": {
        const pending = this.requests.get(message.requestId);
        if (pending?.worker !== worker) return;
        if (pending.timer) clearTimeout(pending.timer);
        this.requests.delete(message.requestId);
        if (message.kind === "loaded" && pending.request.kind === "load") pending.request.resolve(message.result);
        else if (message.kind === "params_parsed" && pending.request.kind === "params") pending.request.resolve(message.result);
        worker.request = null;
        if (worker.state === "busy" && worker.tries.length === 0) this.becomeIdle(worker);
        this.pump();
        return;
      }
    }
  }

  private handleExit(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    const wasReady = worker.tries.length > 0 || worker.request !== null || this.idle.includes(worker);
    this.workers.delete(worker);
    this.removeIdle(worker);
    const how = `worker process exited with code ${code ?? "null"}${signal ? ` (signal ${signal})` : ""}`;
    // The try at the head was running: the crash is its. Tries queued behind it never started.
    const headKey = worker.tries[0];
    const head = headKey === undefined ? undefined : this.running.get(headKey);
    if (head?.worker === worker) {
      worker.tries.shift();
      this.finishTry(head, {
        outcome: "failure",
        error: { name: "WorkerCrashedError", message: `${how} while running task ${head.job.taskId}`, kind: "error", retryable: true },
      });
    }
    this.detachTries(worker, how);
    const requestId = worker.request;
    worker.request = null;
    if (requestId !== null) {
      const pending = this.requests.get(requestId);
      if (pending?.worker === worker) {
        const file = pending.request.kind === "load" ? pending.request.file : pending.request.request.file;
        this.finishRequest(pending, `${how} while loading ${file}`, "load_crashed");
      }
    }
    if (this.closed) return;
    if (!wasReady) {
      this.startFailures++;
      if (this.startFailures >= MAX_START_FAILURES) this.failQueued(`${how} before it was ready (worker script ${this.script})`);
    }
    this.pump();
  }

  private failQueued(why: string): void {
    const queued = this.tryQueue.slice(this.tryQueueHead);
    this.tryQueue.length = 0;
    this.tryQueueHead = 0;
    this.queuedKeys.clear();
    const requests = this.requestQueue.splice(0);
    this.startFailures = 0;
    for (const job of queued) this.onResult(job.tryKey, { outcome: "failure", error: { name: "WorkerStartFailedError", message: why, kind: "lost", retryable: true } });
    for (const request of requests) resolveRequestWithProblem(request, why, "worker_start_failed");
  }

  private handleReport(worker: WorkerHandle, report: TryReport): void {
    const running = this.running.get(report.tryKey);
    if (running?.worker !== worker) return; // late: the try was already reported (killed, timed out)
    const at = worker.tries.indexOf(report.tryKey);
    if (at !== -1) worker.tries.splice(at, 1);
    // A try canceled before it started says nothing about how quick this worker's tries are.
    const ran = !(report.result.outcome === "failure" && report.result.error.kind === "canceled" && report.endedMs === report.startedMs);
    if (ran) worker.quickStreak = report.endedMs - report.startedMs <= QUICK_TRY_MS ? worker.quickStreak + 1 : 0;
    this.finishTry(running, report.result, { startedMs: report.startedMs, endedMs: report.endedMs });
  }

  private becomeIdle(worker: WorkerHandle): void {
    worker.state = "idle";
    worker.request = null;
    worker.hold(false);
    this.idle.push(worker);
  }

  private removeIdle(worker: WorkerHandle): void {
    const i = this.idle.indexOf(worker);
    if (i !== -1) this.idle.splice(i, 1);
  }

  /** Reports a try once: it leaves `running` before its result is delivered. */
  private finishTry(running: RunningTry, result: TryResult, timing?: { startedMs: number; endedMs: number }): void {
    if (this.running.get(running.job.tryKey) !== running) return;
    this.running.delete(running.job.tryKey);
    if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
    if (running.killTimer) clearTimeout(running.killTimer);
    // A try that was aborted reports the abort, whatever the task did after it.
    if (running.abortReason !== null && !(result.outcome === "failure" && (result.error.kind === "timeout" || result.error.kind === "canceled"))) {
      result = { outcome: "failure", error: abortFailure(running.job, running.abortReason) };
    }
    this.onResult(running.job.tryKey, result, timing);
  }

  private finishRequest(pending: PendingRequest, why: string, code = "load_failed"): void {
    if (this.requests.get(pending.request.requestId) !== pending) return;
    this.requests.delete(pending.request.requestId);
    if (pending.timer) clearTimeout(pending.timer);
    resolveRequestWithProblem(pending.request, why, code);
  }
}

function resolveRequestWithProblem(request: Request, why: string, code = "load_failed"): void {
  if (request.kind === "load") request.resolve(loadProblem(request.file, code, why));
  else request.resolve({ ok: false, problems: [{ param: "", message: why }] });
}

function loadProblem(file: string, code: string, message: string): LoadResult {
  return { file, pipelines: [], problems: [{ file, code, message }] };
}

function lostFailure(job: TryJob, why: string): TaskFailure {
  return { name: "WorkerLostError", message: `task ${job.taskId}: ${why}`, kind: "lost", retryable: true };
}

/** dist/worker.js of this package: next to the bundle we are part of, or under the package root from source. */
function defaultWorkerScript(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith(".ts") ? new URL("../../dist/worker.js", here) : new URL("./worker.js", here));
}
