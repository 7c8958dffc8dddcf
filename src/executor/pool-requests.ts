// The pool's load and params requests: queued ahead of tries (someone is waiting on them), one at a
// time on a worker that holds no tries, bounded by the load timeout, and always answered — with the
// worker's result, or with a problem saying why there is none. Never rejected.
import { decodeGraph } from "../graph/wire-graph.js";
import type { EventPayloadCheck, FromWorker, LoadResult, ParamsResult, ToWorker } from "../worker/protocol.js";
import type { WorkerHandle } from "./worker-handle.js";

export interface ParseParamsRequest {
  file: string;
  pipelineId: string;
  raw?: Record<string, string>;
  values?: Record<string, unknown>;
  /** Check an event payload against the pipeline's `event` schema instead of params (docs/events.md). */
  event?: EventPayloadCheck;
}

type Request =
  | { kind: "load"; requestId: number; file: string; resolve: (result: LoadResult) => void }
  | { kind: "params"; requestId: number; request: ParseParamsRequest; resolve: (result: ParamsResult) => void };

interface PendingRequest {
  request: Request;
  worker: WorkerHandle;
  timer: NodeJS.Timeout | undefined;
}

type Answer = Extract<FromWorker, { kind: "loaded" | "params_parsed" }>;

export interface PoolRequestsOptions {
  loadTimeoutMs: number;
  /** Kills a worker stuck in a request (a file that loops at import); the pool stops counting it. */
  killWorker: (worker: WorkerHandle) => void;
}

export class PoolRequests {
  private readonly queue: Request[] = [];
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;

  constructor(private readonly options: PoolRequestsOptions) {}

  /** Requests waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  load(file: string): Promise<LoadResult> {
    return new Promise((resolve) => this.queue.push({ kind: "load", requestId: this.nextRequestId++, file, resolve }));
  }

  parseParams(request: ParseParamsRequest): Promise<ParamsResult> {
    return new Promise((resolve) => this.queue.push({ kind: "params", requestId: this.nextRequestId++, request, resolve }));
  }

  /** Sends the oldest queued request to `worker` (idle, no tries). */
  startNext(worker: WorkerHandle): void {
    const request = this.queue.shift();
    if (request === undefined) return;
    worker.state = "busy";
    worker.request = request.requestId;
    worker.hold(true);
    const pending: PendingRequest = { request, worker, timer: undefined };
    this.pending.set(request.requestId, pending);
    pending.timer = setTimeout(() => {
      this.finish(pending, `loading ${fileOf(request)} took longer than ${Math.round(this.options.loadTimeoutMs / 1000)}s (does it loop or block at import?)`, "load_timeout");
      worker.request = null;
      this.options.killWorker(worker);
    }, this.options.loadTimeoutMs);
    const message: ToWorker =
      request.kind === "load" ? { kind: "load", requestId: request.requestId, file: request.file } : { kind: "parse_params", requestId: request.requestId, ...request.request };
    worker.send(message);
  }

  /** A worker's answer: true when it settled a request pending on that worker (the worker is free of it). */
  answer(worker: WorkerHandle, message: Answer): boolean {
    const pending = this.pending.get(message.requestId);
    if (pending?.worker !== worker) return false;
    if (pending.timer) clearTimeout(pending.timer);
    this.pending.delete(message.requestId);
    if (message.kind === "loaded" && pending.request.kind === "load") pending.request.resolve({ ...message.result, pipelines: message.result.pipelines.map(decodeGraph) });
    else if (message.kind === "params_parsed" && pending.request.kind === "params") pending.request.resolve(message.result);
    worker.request = null;
    return true;
  }

  /** The worker died: its request is that file's `load_crashed` problem. */
  workerExited(worker: WorkerHandle, how: string): void {
    const pending = this.pendingOf(worker);
    worker.request = null;
    if (pending) this.finish(pending, `${how} while loading ${fileOf(pending.request)}`, "load_crashed");
  }

  /** The worker retires: a request it was sent but won't answer goes back to the front of the queue. */
  requeueFrom(worker: WorkerHandle): void {
    const pending = this.pendingOf(worker);
    worker.request = null;
    if (!pending) return;
    if (pending.timer) clearTimeout(pending.timer);
    this.pending.delete(pending.request.requestId);
    this.queue.unshift(pending.request);
  }

  /** Every queued request resolves with `why` (workers can't start). */
  failQueued(why: string, code: string): void {
    for (const request of this.queue.splice(0)) resolveWithProblem(request, why, code);
  }

  /** The pool is closing: queued and pending requests resolve with `why`. */
  close(why: string): void {
    for (const pending of [...this.pending.values()]) this.finish(pending, why);
    this.failQueued(why, "load_failed");
  }

  private pendingOf(worker: WorkerHandle): PendingRequest | undefined {
    const pending = worker.request === null ? undefined : this.pending.get(worker.request);
    return pending?.worker === worker ? pending : undefined;
  }

  private finish(pending: PendingRequest, why: string, code = "load_failed"): void {
    if (this.pending.get(pending.request.requestId) !== pending) return;
    this.pending.delete(pending.request.requestId);
    if (pending.timer) clearTimeout(pending.timer);
    resolveWithProblem(pending.request, why, code);
  }
}

function fileOf(request: Request): string {
  return request.kind === "load" ? request.file : request.request.file;
}

function resolveWithProblem(request: Request, why: string, code: string): void {
  if (request.kind === "load") request.resolve(loadProblem(request.file, code, why));
  else request.resolve({ ok: false, problems: [{ param: "", message: why }] });
}

export function loadProblem(file: string, code: string, message: string): LoadResult {
  return { file, pipelines: [], problems: [{ file, code, message }] };
}
