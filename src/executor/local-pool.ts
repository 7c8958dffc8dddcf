// The local executor: a pool of reusable worker processes on this machine. This file is the pool's
// face and its workers' lifecycle: workers are forked lazily up to `size` (cold start matters more than
// warm-up), kept for many tries, and replaced when they die, are killed or retire. What runs where is
// delegated: tries (queue, batching, timeouts, one result each) to try-dispatch.ts, loads and params
// (ahead of tries, always answered) to pool-requests.ts.
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { FromWorker, LoadResult, ParamsResult, TryJob, TryResult } from "../worker/protocol.js";
import { loadProblem, PoolRequests, type ParseParamsRequest } from "./pool-requests.js";
import { takePrewarmedWorkers } from "./prewarm.js";
import { defaultWorkerScript } from "./worker-script.js";
import { TryDispatch } from "./try-dispatch.js";
import { WorkerHandle } from "./worker-handle.js";
import { HeartbeatWatch, heartbeatSettings } from "./heartbeat.js";

export type { ParseParamsRequest } from "./pool-requests.js";

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
  /** Longest a worker may take from its fork to "ready" before it is hung and killed (default 30000; off with `missedHeartbeats` 0). */
  startTimeoutMs?: number;
  /**
   * Whether a worker whose tries keep finishing quickly may hold several at once (default true). The trigger
   * loop turns it off: a sensor check that hangs must not hold up checks queued behind it in its worker.
   */
  batchQuickTries?: boolean;
  /** IPC serialization of the worker channel (default "json": faster for our small messages). */
  serialization?: "json" | "advanced";
  /** How often workers beat, from a thread of their own (default WEIR_LOCAL_HEARTBEAT_MS or 1000; heartbeat.ts). */
  heartbeatMs?: number;
  /**
   * Beats missed in a row after which a worker is hung (stopped, wedged): it is killed and its running try
   * fails with `WorkerHungError` (kind `lost`, retryable). 0: never. Default WEIR_LOCAL_MISSED_HEARTBEATS or 30.
   */
  missedHeartbeats?: number;
  /** Called once per submitted try; `timing` is when it really ran on its worker, when it did. */
  onResult: (tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }) => void;
  /** Called when a try is handed to a worker (a worker acknowledgement would cost an IPC message per try). */
  onStarted?: (tryKey: string, workerId: string) => void;
  /**
   * Called when `freeSlots()` may have grown without a try result: a worker became ready, exited, was
   * killed or retired (its replacement can be forked), or finished a load/params request. A scheduler
   * that stopped submitting at 0 free slots looks again here (results come through `onResult`).
   */
  onCapacity?: () => void;
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

/** Consecutive workers dying before they are ready after which queued work fails instead of looping. */
const MAX_START_FAILURES = 3;

export class LocalWorkerPool {
  readonly size: number;
  private readonly script: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly killGraceMs: number;
  private readonly serialization: "json" | "advanced";
  private readonly onCapacity: (() => void) | undefined;
  private readonly tries: TryDispatch;
  private readonly requests: PoolRequests;
  private readonly heartbeatMs: number;
  private readonly heartbeat: HeartbeatWatch<WorkerHandle>;

  /** Every worker process not yet exited, dead ones (killed, retiring) included until they have. */
  private readonly workers = new Set<WorkerHandle>();
  /** Idle workers, most recently used last (its caches are warmest). */
  private readonly idle: WorkerHandle[] = [];
  private pumpScheduled = false;
  private startFailures = 0;
  private spawned = 0;
  private closed = false;

  constructor(options: LocalWorkerPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.script = options.workerScript ?? defaultWorkerScript();
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.serialization = options.serialization ?? "json";
    this.env = { ...process.env, ...options.env, WEIR_KILL_GRACE_MS: String(this.killGraceMs) };
    this.onCapacity = options.onCapacity;
    const killWorker = (worker: WorkerHandle) => this.killWorker(worker);
    this.tries = new TryDispatch({ killGraceMs: this.killGraceMs, batchQuickTries: options.batchQuickTries ?? true, onResult: options.onResult, onStarted: options.onStarted, killWorker });
    this.requests = new PoolRequests({ loadTimeoutMs: options.loadTimeoutMs ?? 30_000, killWorker });
    const beats = heartbeatSettings(this.env);
    this.heartbeatMs = options.heartbeatMs ?? beats.heartbeatMs;
    const missedHeartbeats = options.missedHeartbeats ?? beats.missedHeartbeats;
    this.heartbeat = new HeartbeatWatch({
      heartbeatMs: this.heartbeatMs,
      missedHeartbeats,
      startLimitMs: options.startTimeoutMs ?? 30_000,
      workers: () => this.workers,
      onHung: (w, silentMs) => this.killHung(w, silentMs),
    });
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

  /** Queues a try; its result arrives through `onResult`, exactly once. */
  submit(job: TryJob): void {
    if (this.closed) throw new Error("LocalWorkerPool: submit after close");
    this.tries.submit(job);
    this.schedulePump();
  }

  /** Stops a try: a queued one ends now, a running one gets its signal aborted and, after the grace, its worker killed. */
  abort(tryKey: string, reason: "timeout" | "canceled"): void {
    this.tries.abort(tryKey, reason);
  }

  /** Imports a pipeline file in a worker and returns its compiled pipelines and problems. Never rejects. */
  load(file: string): Promise<LoadResult> {
    const path = resolve(file);
    if (this.closed) return Promise.resolve(loadProblem(path, "pool_closed", "the worker pool is closed"));
    const result = this.requests.load(path);
    this.pump();
    return result;
  }

  /** Validates params against a pipeline's schema, in a worker (the schema is user code). Never rejects. */
  parseParams(request: ParseParamsRequest): Promise<ParamsResult> {
    if (this.closed) return Promise.resolve({ ok: false, problems: [{ param: "", message: "the worker pool is closed" }] });
    const result = this.requests.parseParams({ ...request, file: resolve(request.file) });
    this.pump();
    return result;
  }

  /** Tries that can start now without waiting for another try to finish. */
  freeSlots(): number {
    let live = 0;
    let room = 0;
    for (const worker of this.workers) {
      if (worker.state === "dead") continue; // killed or retiring: gone as far as capacity goes
      live++;
      room += Math.max(0, this.tries.depthOf(worker) - worker.tries.length - (worker.request === null ? 0 : 1));
    }
    room += this.size - live; // workers not forked yet take one try each
    return Math.max(0, room - this.tries.queued - this.requests.queued);
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
      queued: this.tries.queued + this.requests.queued,
      running: this.tries.inFlight,
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
    this.heartbeat.stop();
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
    this.tries.close();
    this.requests.close("the worker pool was closed");
    await Promise.all(workers.map((w) => w.exited));
    clearTimeout(killTimer);
  }

  // --- dispatch ---

  /** Submits of one synchronous stretch (a scheduler tick) go out together, one message per worker. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    // Loads and params go first: someone is waiting on them interactively.
    while (this.idle.length > 0 && this.requests.queued > 0) this.requests.startNext(this.idle.pop() as WorkerHandle);
    // Nothing waits (a pump after each result message, usually): nothing to hand out, nothing to fork for.
    if (this.tries.queued === 0 && this.requests.queued === 0) return;
    // Idle workers first (most recently used last), then workers with room for more quick tries.
    const candidates = [...this.idle.slice().reverse(), ...[...this.workers].filter((w) => w.state === "busy" && w.request === null)];
    this.tries.dispatch(candidates);
    for (let i = this.idle.length - 1; i >= 0; i--) if ((this.idle[i] as WorkerHandle).state !== "idle") this.idle.splice(i, 1);
    // Fork only as many workers as there is waiting work not already covered by starting ones; a dead
    // worker (killed, retiring) is replaced now, not when its process is finally gone.
    let live = 0;
    let starting = 0;
    for (const worker of this.workers) {
      if (worker.state !== "dead") live++;
      if (worker.state === "starting") starting++;
    }
    let needed = this.tries.queued + this.requests.queued - starting;
    while (needed > 0 && live < this.size) {
      this.spawn();
      live++;
      needed--;
    }
  }

  // --- worker lifecycle ---

  private spawn(): void {
    const worker = new WorkerHandle({ script: this.script, env: this.env, serialization: this.serialization, heartbeatMs: this.heartbeatMs, ...this.listener });
    this.spawned++;
    worker.hold(true);
    this.workers.add(worker);
  }

  /** A worker that must go now (its try ignored an abort, a load hung): it takes no more work; its group is killed. */
  private killWorker(worker: WorkerHandle): void {
    worker.state = "dead";
    this.removeIdle(worker);
    worker.kill();
    this.pump();
    this.capacityMayHaveGrown();
  }

  /** Silent past the window: stopped or wedged as a whole process (a busy task still beats). Its try fails when its exit is seen. */
  private killHung(worker: WorkerHandle, silentMs: number): void {
    const silent = worker.state === "starting" ? `was not ready ${silentMs} ms after it was started` : `sent no heartbeat for ${silentMs} ms`;
    worker.hungFor = `worker process ${worker.pid} ${silent} (stopped or hung) and was killed`;
    this.killWorker(worker);
  }

  private handleMessage(worker: WorkerHandle, message: FromWorker): void {
    switch (message.kind) {
      case "ready":
        if (worker.state !== "starting") return;
        worker.everReady = true;
        // Nothing beats until its first request (heartbeat.ts).
        worker.lastBeatMs = null;
        this.startFailures = 0;
        this.becomeIdle(worker);
        this.pump();
        this.capacityMayHaveGrown();
        return;
      case "try_results":
        this.tries.handleReports(worker, message.reports);
        if (worker.state === "busy" && worker.tries.length === 0 && worker.request === null) this.becomeIdle(worker);
        // Results read together (one read of the channel) refill workers together.
        this.schedulePump();
        return;
      case "loaded":
      case "params_parsed":
        if (!this.requests.answer(worker, message)) return;
        if (worker.state === "busy" && worker.tries.length === 0) this.becomeIdle(worker);
        this.pump();
        this.capacityMayHaveGrown();
        return;
      case "retiring":
        // It reported its running try already; what it held goes to other workers, and it exits by
        // itself (killed after the grace if it doesn't).
        worker.retire(this.killGraceMs);
        this.removeIdle(worker);
        this.tries.detach(worker);
        this.requests.requeueFrom(worker);
        this.pump();
        this.capacityMayHaveGrown();
        return;
    }
  }

  private handleExit(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker);
    this.removeIdle(worker);
    const how = worker.hungFor ?? `worker process exited with code ${code ?? "null"}${signal ? ` (signal ${signal})` : ""}`;
    // The try at the head was running: the crash is its. Tries held behind it never started.
    this.tries.workerExited(worker, how, worker.hungFor === null ? undefined : { name: "WorkerHungError", kind: "lost" });
    this.requests.workerExited(worker, how);
    if (this.closed) return;
    if (!worker.everReady) {
      this.startFailures++;
      if (this.startFailures >= MAX_START_FAILURES) this.failQueued(`${how} before it was ready (worker script ${this.script})`);
    }
    this.pump();
    this.capacityMayHaveGrown();
  }

  private failQueued(why: string): void {
    this.startFailures = 0;
    this.tries.failQueued({ name: "WorkerStartFailedError", message: why, kind: "lost", retryable: true });
    this.requests.failQueued(why, "worker_start_failed");
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

  private capacityMayHaveGrown(): void {
    if (!this.closed) this.onCapacity?.();
  }
}
