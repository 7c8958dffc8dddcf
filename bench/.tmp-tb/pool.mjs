// src/executor/local-pool.ts
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

// src/worker/task-failures.ts
function abortFailure(job2, reason) {
  if (reason === "timeout") return { name: "TaskTimeoutError", message: timeoutMessage(job2), kind: "timeout", retryable: true };
  return { name: "TaskCanceledError", message: `task ${job2.taskId} was canceled`, kind: "canceled", retryable: false };
}
function timeoutMessage(job2) {
  return `task ${job2.taskId} timed out after ${formatTimeout(job2.timeoutMs ?? 0)}`;
}
function formatTimeout(ms) {
  if (ms > 0 && ms % 36e5 === 0) return `${ms / 36e5}h`;
  if (ms > 0 && ms % 6e4 === 0) return `${ms / 6e4}m`;
  if (ms >= 1e3) return `${Number((ms / 1e3).toFixed(3))}s`;
  return `${ms}ms`;
}

// src/executor/worker-handle.ts
import { fork } from "node:child_process";
var WorkerHandle = class {
  state = "starting";
  /** Tries handed to the worker, in the order it runs them: the first is running, the rest wait there. */
  tries = [];
  /** The load or params request the worker is on, if any (requests go only to workers without tries). */
  request = null;
  /** Consecutive tries that finished quickly: the pool hands such a worker several tries at once. */
  quickStreak = 0;
  exited;
  child;
  constructor(options) {
    this.child = fork(options.script, [], {
      detached: true,
      serialization: options.serialization,
      execArgv: ["--enable-source-maps"],
      env: options.env,
      // Worker stdout goes to our stderr: a pipeline file printing at import must not corrupt `--json`.
      stdio: ["ignore", 2, 2, "ipc"]
    });
    this.child.unref();
    this.exited = new Promise((resolve3) => {
      this.child.once("exit", (code, signal) => {
        this.state = "dead";
        if (this.child.pid !== void 0) {
          try {
            process.kill(-this.child.pid, "SIGKILL");
          } catch {
          }
        }
        options.onExit(this, code, signal);
        resolve3();
      });
    });
    this.child.on("message", (message) => options.onMessage(this, message));
    this.child.on("error", () => {
    });
  }
  get pid() {
    return this.child.pid ?? -1;
  }
  get id() {
    return `local:${this.pid}`;
  }
  send(message) {
    if (this.state === "dead" || !this.child.connected) return;
    this.child.send(message);
  }
  /** Keeps the parent alive only while the worker has something to do. */
  hold(busy) {
    const channel = this.child.channel;
    if (busy) {
      this.child.ref();
      channel?.ref?.();
    } else {
      this.child.unref();
      channel?.unref?.();
    }
  }
  /** SIGKILL to the worker's whole process group: the worker and every process its tasks started. */
  kill() {
    this.hold(true);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const pid = this.child.pid;
    try {
      if (pid === void 0) throw new Error("no pid");
      process.kill(-pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }
};

// src/executor/local-pool.ts
var MAX_START_FAILURES = 3;
var QUICK_TRY_MS = 2;
var QUICK_STREAK = 3;
var MAX_DEPTH = 8;
var LocalWorkerPool = class {
  size;
  script;
  env;
  killGraceMs;
  loadTimeoutMs;
  serialization;
  onResult;
  onStarted;
  workers = /* @__PURE__ */ new Set();
  /** Idle workers, most recently used last (its caches are warmest). */
  idle = [];
  tryQueue = [];
  tryQueueHead = 0;
  /** Keys of the tries in tryQueue (duplicate checks without a scan). */
  queuedKeys = /* @__PURE__ */ new Set();
  requestQueue = [];
  running = /* @__PURE__ */ new Map();
  pumpScheduled = false;
  requests = /* @__PURE__ */ new Map();
  nextRequestId = 1;
  startFailures = 0;
  spawned = 0;
  closed = false;
  constructor(options) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.script = options.workerScript ?? defaultWorkerScript();
    this.killGraceMs = options.killGraceMs ?? 5e3;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 3e4;
    this.serialization = options.serialization ?? "json";
    this.env = { ...process.env, ...options.env, WEIR_KILL_GRACE_MS: String(this.killGraceMs) };
    this.onResult = options.onResult;
    this.onStarted = options.onStarted;
  }
  /** Queues a try; its result arrives through `onResult`, exactly once. */
  submit(job2) {
    if (this.closed) throw new Error("LocalWorkerPool: submit after close");
    if (this.running.has(job2.tryKey) || this.queuedKeys.has(job2.tryKey)) throw new Error(`LocalWorkerPool: try ${job2.tryKey} was already submitted`);
    this.tryQueue.push(job2);
    this.queuedKeys.add(job2.tryKey);
    this.schedulePump();
  }
  /** Stops a try: a queued one ends now, a running one gets its signal aborted and, after the grace, its worker killed. */
  abort(tryKey, reason) {
    const running = this.running.get(tryKey);
    if (running) {
      this.abortRunning(running, reason);
      return;
    }
    if (!this.queuedKeys.has(tryKey)) return;
    for (let i = this.tryQueueHead; i < this.tryQueue.length; i++) {
      const job2 = this.tryQueue[i];
      if (job2.tryKey !== tryKey) continue;
      this.tryQueue.splice(i, 1);
      this.queuedKeys.delete(tryKey);
      this.onResult(tryKey, { outcome: "failure", error: abortFailure(job2, reason) });
      return;
    }
  }
  /** Imports a pipeline file in a worker and returns its compiled pipelines and problems. Never rejects. */
  load(file2) {
    const path = resolve(file2);
    if (this.closed) return Promise.resolve(loadProblem(path, "pool_closed", "the worker pool is closed"));
    return new Promise((resolve3) => {
      this.requestQueue.push({ kind: "load", requestId: this.nextRequestId++, file: path, resolve: resolve3 });
      this.pump();
    });
  }
  /** Validates params against a pipeline's schema, in a worker (the schema is user code). Never rejects. */
  parseParams(request) {
    const normalized = { ...request, file: resolve(request.file) };
    if (this.closed) return Promise.resolve({ ok: false, problems: [{ param: "", message: "the worker pool is closed" }] });
    return new Promise((resolve3) => {
      this.requestQueue.push({ kind: "params", requestId: this.nextRequestId++, request: normalized, resolve: resolve3 });
      this.pump();
    });
  }
  /** Tries that can start now without waiting for another try to finish. */
  freeSlots() {
    let room = this.size - this.workers.size;
    for (const worker of this.workers) if (worker.state !== "dead") room += Math.max(0, this.depthOf(worker) - worker.tries.length - (worker.request === null ? 0 : 1));
    return Math.max(0, room - this.queuedTries() - this.requestQueue.length);
  }
  stats() {
    let starting2 = 0;
    let busy = 0;
    for (const worker of this.workers) {
      if (worker.state === "starting") starting2++;
      else if (worker.state === "busy") busy++;
    }
    return {
      size: this.size,
      workers: this.workers.size,
      starting: starting2,
      idle: this.idle.length,
      busy,
      queued: this.queuedTries() + this.requestQueue.length,
      running: this.running.size,
      spawned: this.spawned
    };
  }
  /**
   * Kills every worker (and what its tasks started) and waits for them to exit. Tries still queued or
   * running are reported lost; pending loads resolve with a problem.
   */
  async close() {
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
    for (const worker of workers) {
      worker.hold(true);
      worker.send({ kind: "shutdown" });
    }
    const killTimer = setTimeout(() => {
      for (const worker of workers) worker.kill();
    }, Math.min(this.killGraceMs, 2e3));
    for (const running of [...this.running.values()]) {
      this.finishTry(running, { outcome: "failure", error: lostFailure(running.job, "the worker pool was closed while the try ran") });
    }
    for (const job2 of queued) this.onResult(job2.tryKey, { outcome: "failure", error: lostFailure(job2, "the worker pool was closed before the try started") });
    for (const pending of [...this.requests.values()]) this.finishRequest(pending, "the worker pool was closed");
    for (const request of requests) resolveRequestWithProblem(request, "the worker pool was closed");
    await Promise.all(workers.map((w) => w.exited));
    clearTimeout(killTimer);
  }
  // --- dispatch ---
  queuedTries() {
    return this.tryQueue.length - this.tryQueueHead;
  }
  /** Submits of one synchronous stretch (a scheduler tick) go out together, one message per worker. */
  schedulePump() {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }
  /** How many tries a worker may hold: several only while its tries keep finishing quickly. */
  depthOf(worker) {
    return worker.quickStreak >= QUICK_STREAK ? MAX_DEPTH : 1;
  }
  pump() {
    if (this.closed) return;
    while (this.idle.length > 0 && this.requestQueue.length > 0) this.startRequest(this.idle.pop(), this.requestQueue.shift());
    const candidates = [...this.idle.slice().reverse(), ...[...this.workers].filter((w) => w.state === "busy" && w.request === null)];
    for (const worker of candidates) {
      if (this.tryQueueHead >= this.tryQueue.length) break;
      const room = this.depthOf(worker) - worker.tries.length;
      if (room <= 0) continue;
      const fair = Math.ceil(this.queuedTries() / Math.max(1, candidates.length));
      const jobs = [];
      while (jobs.length < Math.min(room, Math.max(1, fair)) && this.tryQueueHead < this.tryQueue.length) {
        const job2 = this.tryQueue[this.tryQueueHead];
        this.tryQueue[this.tryQueueHead] = void 0;
        this.tryQueueHead++;
        this.queuedKeys.delete(job2.tryKey);
        jobs.push(job2);
      }
      if (worker.state === "idle") this.removeIdle(worker);
      this.startTries(worker, jobs);
    }
    if (this.tryQueueHead > 1024 && this.tryQueueHead * 2 > this.tryQueue.length) {
      this.tryQueue.splice(0, this.tryQueueHead);
      this.tryQueueHead = 0;
    }
    let starting2 = 0;
    for (const worker of this.workers) if (worker.state === "starting") starting2++;
    let needed = this.queuedTries() + this.requestQueue.length - starting2;
    while (needed > 0 && this.workers.size < this.size) {
      this.spawn();
      needed--;
    }
  }
  spawn() {
    const worker = new WorkerHandle({
      script: this.script,
      env: this.env,
      serialization: this.serialization,
      onMessage: (w, message) => this.handleMessage(w, message),
      onExit: (w, code, signal) => this.handleExit(w, code, signal)
    });
    this.spawned++;
    worker.hold(true);
    this.workers.add(worker);
  }
  startTries(worker, jobs) {
    worker.state = "busy";
    worker.hold(true);
    for (const job2 of jobs) {
      const running = { job: job2, worker, head: false, timeoutTimer: void 0, killTimer: void 0, abortReason: null };
      this.running.set(job2.tryKey, running);
      worker.tries.push(job2.tryKey);
    }
    this.markHead(worker);
    worker.send({ kind: "run_tries", jobs });
    for (const job2 of jobs) this.onStarted?.(job2.tryKey, worker.id);
  }
  /** The worker's first try is the one running: its timeout counts from now. */
  markHead(worker) {
    const key = worker.tries[0];
    const running = key === void 0 ? void 0 : this.running.get(key);
    if (!running || running.head) return;
    running.head = true;
    if (running.abortReason !== null) {
      this.armKill(running);
      return;
    }
    const { timeoutMs } = running.job;
    if (timeoutMs !== null && timeoutMs !== void 0) running.timeoutTimer = setTimeout(() => this.abortRunning(running, "timeout"), timeoutMs);
  }
  startRequest(worker, request) {
    worker.state = "busy";
    worker.request = request.requestId;
    worker.hold(true);
    const pending = { request, worker, timer: void 0 };
    this.requests.set(request.requestId, pending);
    pending.timer = setTimeout(() => {
      const file2 = request.kind === "load" ? request.file : request.request.file;
      this.finishRequest(pending, `loading ${file2} took longer than ${Math.round(this.loadTimeoutMs / 1e3)}s (does it loop or block at import?)`, "load_timeout");
      worker.kill();
    }, this.loadTimeoutMs);
    if (request.kind === "load") worker.send({ kind: "load", requestId: request.requestId, file: request.file });
    else worker.send({ kind: "parse_params", requestId: request.requestId, ...request.request });
  }
  abortRunning(running, reason) {
    if (running.abortReason !== null || this.running.get(running.job.tryKey) !== running) return;
    running.abortReason = reason;
    if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
    running.worker.send({ kind: "abort_try", tryKey: running.job.tryKey, reason });
    if (running.head) this.armKill(running);
  }
  /** The task ignored its signal or blocks the event loop: kill the worker and its children. */
  armKill(running) {
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
  detachTries(worker, _why) {
    const waiting = [];
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
    for (const job2 of waiting) this.queuedKeys.add(job2.tryKey);
  }
  // --- worker events ---
  handleMessage(worker, message) {
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
        this.pump();
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
  handleExit(worker, code, signal) {
    const wasReady = worker.tries.length > 0 || worker.request !== null || this.idle.includes(worker);
    this.workers.delete(worker);
    this.removeIdle(worker);
    const how = `worker process exited with code ${code ?? "null"}${signal ? ` (signal ${signal})` : ""}`;
    const headKey = worker.tries[0];
    const head = headKey === void 0 ? void 0 : this.running.get(headKey);
    if (head?.worker === worker) {
      worker.tries.shift();
      this.finishTry(head, {
        outcome: "failure",
        error: { name: "WorkerCrashedError", message: `${how} while running task ${head.job.taskId}`, kind: "error", retryable: true }
      });
    }
    this.detachTries(worker, how);
    const requestId = worker.request;
    worker.request = null;
    if (requestId !== null) {
      const pending = this.requests.get(requestId);
      if (pending?.worker === worker) {
        const file2 = pending.request.kind === "load" ? pending.request.file : pending.request.request.file;
        this.finishRequest(pending, `${how} while loading ${file2}`, "load_crashed");
      }
    }
    if (this.closed) return;
    if (!wasReady) {
      this.startFailures++;
      if (this.startFailures >= MAX_START_FAILURES) this.failQueued(`${how} before it was ready (worker script ${this.script})`);
    }
    this.pump();
  }
  failQueued(why) {
    const queued = this.tryQueue.slice(this.tryQueueHead);
    this.tryQueue.length = 0;
    this.tryQueueHead = 0;
    this.queuedKeys.clear();
    const requests = this.requestQueue.splice(0);
    this.startFailures = 0;
    for (const job2 of queued) this.onResult(job2.tryKey, { outcome: "failure", error: { name: "WorkerStartFailedError", message: why, kind: "lost", retryable: true } });
    for (const request of requests) resolveRequestWithProblem(request, why, "worker_start_failed");
  }
  handleReport(worker, report) {
    const running = this.running.get(report.tryKey);
    if (running?.worker !== worker) return;
    const at = worker.tries.indexOf(report.tryKey);
    if (at !== -1) worker.tries.splice(at, 1);
    worker.quickStreak = report.endedMs - report.startedMs <= QUICK_TRY_MS ? worker.quickStreak + 1 : 0;
    this.finishTry(running, report.result, { startedMs: report.startedMs, endedMs: report.endedMs });
  }
  becomeIdle(worker) {
    worker.state = "idle";
    worker.request = null;
    worker.hold(false);
    this.idle.push(worker);
  }
  removeIdle(worker) {
    const i = this.idle.indexOf(worker);
    if (i !== -1) this.idle.splice(i, 1);
  }
  /** Reports a try once: it leaves `running` before its result is delivered. */
  finishTry(running, result, timing) {
    if (this.running.get(running.job.tryKey) !== running) return;
    this.running.delete(running.job.tryKey);
    if (running.timeoutTimer) clearTimeout(running.timeoutTimer);
    if (running.killTimer) clearTimeout(running.killTimer);
    if (running.abortReason !== null && !(result.outcome === "failure" && (result.error.kind === "timeout" || result.error.kind === "canceled"))) {
      result = { outcome: "failure", error: abortFailure(running.job, running.abortReason) };
    }
    this.onResult(running.job.tryKey, result, timing);
  }
  finishRequest(pending, why, code = "load_failed") {
    if (this.requests.get(pending.request.requestId) !== pending) return;
    this.requests.delete(pending.request.requestId);
    if (pending.timer) clearTimeout(pending.timer);
    resolveRequestWithProblem(pending.request, why, code);
  }
};
function resolveRequestWithProblem(request, why, code = "load_failed") {
  if (request.kind === "load") request.resolve(loadProblem(request.file, code, why));
  else request.resolve({ ok: false, problems: [{ param: "", message: why }] });
}
function loadProblem(file2, code, message) {
  return { file: file2, pipelines: [], problems: [{ file: file2, code, message }] };
}
function lostFailure(job2, why) {
  return { name: "WorkerLostError", message: `task ${job2.taskId}: ${why}`, kind: "lost", retryable: true };
}
function defaultWorkerScript() {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith(".ts") ? new URL("../../dist/worker.js", here) : new URL("./worker.js", here));
}

// src/worker/load-pipeline-file.ts
import { createHash as createHash2, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve as resolve2, sep } from "node:path";
import { fileURLToPath as fileURLToPath2, pathToFileURL } from "node:url";

// src/common/ids.ts
var ID_PATTERN = /^[A-Za-z0-9_.-]{1,250}$/;
function isValidId(value) {
  return ID_PATTERN.test(value) && value !== "." && value !== "..";
}

// src/define/spec.ts
var PIPELINE_BRAND = Symbol.for("weir.pipeline");

// src/define/pipeline.ts
function isPipeline(value) {
  return typeof value === "object" && value !== null && value[PIPELINE_BRAND] === true;
}

// src/graph/compile-pipeline.ts
import { z } from "zod";

// src/common/errors.ts
var WeirError = class extends Error {
  code;
  where;
  /** True when the user's input is at fault (exit code 2, HTTP 4xx); false for internal failures. */
  isInputError;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "WeirError";
    this.code = code;
    this.where = options.where;
    this.isInputError = options.input ?? true;
  }
};

// src/define/duration.ts
var UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
var PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
var DurationInvalidError = class extends WeirError {
  constructor(value, what) {
    super("duration_invalid", `${what}: ${JSON.stringify(value)} is not a duration (use e.g. "500ms", "10s", "5m", "2h", "1d" or milliseconds)`);
  }
};
function parseDuration(value, what = "duration") {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new DurationInvalidError(value, what);
    return Math.round(value);
  }
  if (typeof value !== "string") throw new DurationInvalidError(value, what);
  const text = value.trim();
  if (text === "") throw new DurationInvalidError(value, what);
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = PART.lastIndex;
  }
  if (consumed !== text.length) throw new DurationInvalidError(value, what);
  return Math.round(total);
}

// src/define/trigger-rule-names.ts
var TRIGGER_RULES = [
  "all_success",
  "all_failed",
  "all_done",
  "all_skipped",
  "one_success",
  "one_failed",
  "one_done",
  "none_failed",
  "none_failed_min_one_success",
  "none_skipped",
  "always"
];
function isTriggerRule(value) {
  return typeof value === "string" && TRIGGER_RULES.includes(value);
}

// src/graph/fingerprint.ts
import { createHash } from "node:crypto";
var HASH_CHARS = 16;
function sha256(text) {
  return createHash("sha256").update(text).digest("hex").slice(0, HASH_CHARS);
}
function canonicalJson(value) {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted = {};
    for (const key of Object.keys(v).sort()) sorted[key] = v[key];
    return sorted;
  });
}
function hashFunction(fn) {
  return sha256(`function:${typeof fn === "function" ? fn.toString() : String(fn)}`);
}
function hashShell(command, env, cwd) {
  return sha256(`shell:${canonicalJson({ command: command ?? null, env: env ?? null, cwd: cwd ?? null })}`);
}
function graphVersion(graph) {
  const { file: _file, ...rest } = graph;
  delete rest.version;
  return sha256(canonicalJson(rest));
}

// src/graph/graph-order.ts
function describeCycle(cycle) {
  if (cycle.length === 0) return "";
  const closed = cycle.length > 1 && cycle[0] === cycle[cycle.length - 1] ? cycle : [...cycle, cycle[0]];
  return closed.join(" \u2192 ");
}
function downstreamMap(upstream) {
  const down = /* @__PURE__ */ new Map();
  for (const id of upstream.keys()) down.set(id, []);
  for (const [id, ups] of upstream) {
    for (const up of ups) if (up !== id) down.get(up)?.push(id);
  }
  return down;
}
function findCycles(upstream) {
  const ids = [...upstream.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  const down = downstreamMap(upstream);
  const index = /* @__PURE__ */ new Map();
  const low = /* @__PURE__ */ new Map();
  const onStack = /* @__PURE__ */ new Set();
  const stack = [];
  const components = [];
  let next2 = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work = [{ id: root, edge: 0 }];
    index.set(root, next2);
    low.set(root, next2++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = down.get(frame.id) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++];
        if (!index.has(to)) {
          index.set(to, next2);
          low.set(to, next2++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id), index.get(to)));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id), low.get(frame.id)));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) components.push(component);
      }
    }
  }
  const cycles = components.map((component) => {
    const members = new Set(component);
    const start = component.reduce((a, b) => position.get(a) <= position.get(b) ? a : b);
    return shortestCycleThrough(start, members, down, position);
  });
  return cycles.sort((a, b) => position.get(a[0]) - position.get(b[0]));
}
function shortestCycleThrough(start, members, down, position) {
  const via = /* @__PURE__ */ new Map();
  const queue = [start];
  const byDeclaration = (a, b) => position.get(a) - position.get(b);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    for (const to of [...down.get(id) ?? []].sort(byDeclaration)) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [id];
        for (let at = id; at !== start; ) {
          at = via.get(at);
          path.push(at);
        }
        return path.reverse();
      }
      if (!via.has(to)) {
        via.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start];
}
function topologicalOrder(upstream) {
  const ids = [...upstream.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  const down = downstreamMap(upstream);
  const waiting = /* @__PURE__ */ new Map();
  for (const [id, ups] of upstream) waiting.set(id, new Set(ups.filter((u) => u !== id && upstream.has(u))).size);
  const ready = ids.filter((id) => waiting.get(id) === 0).reverse();
  const order = [];
  while (ready.length > 0) {
    const id = ready.pop();
    order.push(id);
    for (const to of new Set(down.get(id))) {
      const left = waiting.get(to) - 1;
      waiting.set(to, left);
      if (left === 0) {
        const p = position.get(to);
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
          const mid = lo + hi >> 1;
          if (position.get(ready[mid]) > p) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, to);
      }
    }
  }
  const selfLoop = [...upstream].some(([id, ups]) => ups.includes(id));
  return order.length === ids.length && !selfLoop ? order : null;
}

// src/graph/types.ts
var DEFAULT_RETRY_DELAY_MS = 3e4;
var DEFAULT_MAX_RETRY_DELAY_MS = 36e5;
var DEFAULT_MAX_ACTIVE_RUNS = 16;

// src/graph/zoned-time.ts
var DAY_MS = 864e5;
var formatters = /* @__PURE__ */ new Map();
function formatterFor(timeZone) {
  let formatter = formatters.get(timeZone);
  if (formatter === void 0) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}
function isValidTimeZone(timeZone) {
  if (typeof timeZone !== "string" || timeZone.trim() === "") return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}
function zoneOffsetMs(timeZone, instantMs) {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  const wholeSecondMs = Math.floor(instantMs / 1e3) * 1e3;
  const parts = formatterFor(timeZone).formatToParts(new Date(wholeSecondMs));
  const field = (type) => Number(parts.find((p) => p.type === type)?.value);
  let year = field("year");
  if (parts.find((p) => p.type === "era")?.value === "BC") year = 1 - year;
  const date = /* @__PURE__ */ new Date(0);
  date.setUTCFullYear(year, field("month") - 1, field("day"));
  date.setUTCHours(field("hour"), field("minute"), field("second"), 0);
  return date.getTime() - wholeSecondMs;
}
function wallToInstants(timeZone, wallMs) {
  const before = zoneOffsetMs(timeZone, wallMs - DAY_MS);
  const after = zoneOffsetMs(timeZone, wallMs + DAY_MS);
  const found = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wallMs - offset;
    if (zoneOffsetMs(timeZone, instant) === offset && !found.includes(instant)) found.push(instant);
  }
  return found.sort((a, b) => a - b);
}
function wallToInstant(timeZone, wallMs) {
  const instants = wallToInstants(timeZone, wallMs);
  if (instants[0] !== void 0) return instants[0];
  return wallMs - zoneOffsetMs(timeZone, wallMs - DAY_MS);
}
var DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
function parseZonedDateTime(text, timeZone) {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === void 0 ? 0 : Number(h);
  const minute = mi === void 0 ? 0 : Number(mi);
  const second = s === void 0 ? 0 : Number(s);
  const ms = frac === void 0 ? 0 : Number(frac.padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = /* @__PURE__ */ new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return null;
  const wallMs = date.getTime();
  if (zone === void 0) return wallToInstant(timeZone, wallMs);
  if (zone.toUpperCase() === "Z") return wallMs;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2));
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  return wallMs - sign * (offsetHours * 36e5 + offsetMinutes * 6e4);
}

// src/graph/compile-pipeline.ts
function compilePipeline(spec, file2) {
  const problems = spec.problems.map((p) => ({ ...p }));
  const report = (p) => problems.push(p);
  const options = spec.options ?? {};
  const timezone = options.timezone ?? "UTC";
  const timezoneOk = isValidTimeZone(timezone);
  if (!timezoneOk) {
    report({ code: "timezone_invalid", message: `timezone ${JSON.stringify(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin")` });
  }
  const defaults = resolveDefaults(options.defaults, report);
  const tasks = compileTasks(spec.tasks, defaults, report);
  const graphWithoutVersion = {
    id: String(options.id),
    file: file2,
    description: optionalString(options.description, "description", report),
    schedule: cloneSchedule(options.schedule),
    timezone,
    start: resolveBoundary(options.start, "start", timezoneOk ? timezone : "UTC", report),
    end: resolveBoundary(options.end, "end", timezoneOk ? timezone : "UTC", report),
    catchup: booleanOption(options.catchup, false, "catchup", report),
    tags: resolveTags(options.tags, report),
    maxActiveRuns: positiveInteger(options.maxActiveRuns, "maxActiveRuns", report) ?? DEFAULT_MAX_ACTIVE_RUNS,
    maxActiveTasks: positiveInteger(options.maxActiveTasks, "maxActiveTasks", report),
    timeoutMs: optionalDuration(options.timeout, "timeout", report, true),
    paramsSchema: resolveParams(options.params, report),
    tasks,
    order: []
  };
  const { start, end } = graphWithoutVersion;
  if (start !== null && end !== null && Date.parse(end) < Date.parse(start)) {
    report({ code: "pipeline_option_invalid", message: `end ${end} is before start ${start}` });
  }
  const upstream = new Map(tasks.map((t) => [t.id, t.upstream]));
  for (const task of tasks) {
    for (const up of task.upstream) {
      if (up === task.id) {
        report({ code: "task_depends_on_itself", message: `task ${task.id} depends on itself`, task: task.id });
      } else if (!upstream.has(up)) {
        report({ code: "dependency_unknown", message: `task ${task.id} needs "${up}", which is not a task of this pipeline`, task: task.id });
      }
    }
  }
  for (const cycle of findCycles(upstream)) {
    report({ code: "pipeline_cycle", message: `tasks form a cycle: ${describeCycle(cycle)}`, task: cycle[0] });
  }
  if (problems.length > 0) return { graph: null, problems };
  const order = topologicalOrder(upstream);
  if (order === null) {
    return { graph: null, problems: [{ code: "pipeline_cycle", message: "the tasks cannot be ordered: they form a cycle" }] };
  }
  graphWithoutVersion.order = order;
  const graph = { ...graphWithoutVersion, version: graphVersion(graphWithoutVersion) };
  return { graph, problems };
}
function resolveDefaults(defaults, report) {
  const base = {
    retries: 0,
    retryDelayMs: DEFAULT_RETRY_DELAY_MS,
    backoff: "fixed",
    maxRetryDelayMs: DEFAULT_MAX_RETRY_DELAY_MS,
    timeoutMs: null
  };
  if (defaults === void 0 || defaults === null) return base;
  if (typeof defaults !== "object") {
    report({ code: "pipeline_option_invalid", message: "defaults must be an object of retry and timeout options" });
    return base;
  }
  return resolveRetryOptions(defaults, base, "defaults", report, void 0);
}
function resolveRetryOptions(options, base, where, report, task) {
  const code = task === void 0 ? "pipeline_option_invalid" : "task_option_invalid";
  const prefix = where ? `${where}: ` : "";
  const say = (message) => report(task === void 0 ? { code, message } : { code, message, task });
  const duration = (value, name, fallback, positive) => {
    if (value === void 0) return fallback;
    try {
      const ms = parseDuration(value, `${prefix}${name}`);
      if (positive && ms <= 0) {
        say(`${prefix}${name} must be longer than 0`);
        return fallback;
      }
      return ms;
    } catch (error) {
      report({ code: "duration_invalid", message: error.message, ...task === void 0 ? {} : { task } });
      return fallback;
    }
  };
  let retries = base.retries;
  if (options.retries !== void 0) {
    if (typeof options.retries === "number" && Number.isInteger(options.retries) && options.retries >= 0) retries = options.retries;
    else say(`${prefix}retries must be a whole number \u2265 0, got ${JSON.stringify(options.retries)}`);
  }
  let backoff = base.backoff;
  if (options.backoff !== void 0) {
    if (options.backoff === "fixed" || options.backoff === "exponential") backoff = options.backoff;
    else say(`${prefix}backoff must be "fixed" or "exponential", got ${JSON.stringify(options.backoff)}`);
  }
  return {
    retries,
    retryDelayMs: duration(options.retryDelay, "retryDelay", base.retryDelayMs, false),
    backoff,
    maxRetryDelayMs: duration(options.maxRetryDelay, "maxRetryDelay", base.maxRetryDelayMs, false),
    // A bad timeout keeps the inherited one (0 stands for "none" only inside this call).
    timeoutMs: duration(options.timeout, "timeout", base.timeoutMs ?? 0, true) || null
  };
}
function compileTasks(specs, defaults, report) {
  const seen = /* @__PURE__ */ new Set();
  const nodes = [];
  for (const spec of specs) {
    if (seen.has(spec.id)) continue;
    seen.add(spec.id);
    nodes.push(compileTask(spec, defaults, report));
  }
  return nodes;
}
function compileTask(spec, defaults, report) {
  const id = spec.id;
  const options = spec.options ?? {};
  const where = "";
  const say = (message) => report({ code: "task_option_invalid", message, task: id });
  const retry = resolveRetryOptions(options, defaults, where, report, id);
  const policy = {
    retries: retry.retries,
    retryDelayMs: retry.retryDelayMs,
    backoff: retry.backoff,
    maxRetryDelayMs: retry.maxRetryDelayMs
  };
  let trigger = "all_success";
  if (options.trigger !== void 0) {
    if (isTriggerRule(options.trigger)) trigger = options.trigger;
    else say(`trigger ${JSON.stringify(options.trigger)} is not a trigger rule (all_success, all_done, none_failed, \u2026)`);
  }
  const label = (value, name) => {
    if (value === void 0) return "default";
    if (typeof value === "string" && isValidId(value)) return value;
    say(`${name} ${JSON.stringify(value)} must match [A-Za-z0-9_.-]{1,250}`);
    return "default";
  };
  let priority = 0;
  if (options.priority !== void 0) {
    if (typeof options.priority === "number" && Number.isFinite(options.priority)) priority = options.priority;
    else say(`priority must be a number, got ${JSON.stringify(options.priority)}`);
  }
  let description = null;
  if (options.description !== void 0) {
    if (typeof options.description === "string") description = options.description;
    else say("description must be a string");
  }
  const needs = { ...spec.needs };
  const after = [...spec.after];
  const upstream = [.../* @__PURE__ */ new Set([...Object.values(needs), ...after, ...spec.map === null ? [] : [spec.map]])];
  return {
    id,
    kind: spec.kind,
    upstream,
    needs,
    after,
    map: spec.map,
    trigger,
    retry: policy,
    timeoutMs: retry.timeoutMs,
    queue: label(options.queue, "queue"),
    pool: label(options.pool, "pool"),
    priority,
    cache: resolveCache(options.cache, where, report, id),
    description,
    command: spec.kind === "shell" ? spec.command ?? null : null,
    codeHash: spec.kind === "shell" ? hashShell(spec.command, spec.env, spec.cwd) : hashFunction(spec.fn)
  };
}
function resolveCache(value, where, report, task) {
  const off = { enabled: false, ttlMs: null, customKey: false };
  if (value === void 0 || value === false) return off;
  if (value === true) return { enabled: true, ttlMs: null, customKey: false };
  if (typeof value !== "object" || value === null) {
    report({ code: "task_option_invalid", message: `${where ? `${where}: ` : ""}cache must be true, false or { key?, ttl? }`, task });
    return off;
  }
  if (value.key !== void 0 && typeof value.key !== "function") {
    report({ code: "task_option_invalid", message: `${where ? `${where}: ` : ""}cache.key must be a function`, task });
  }
  let ttlMs = null;
  if (value.ttl !== void 0) {
    try {
      ttlMs = parseDuration(value.ttl, `${where ? `${where}: ` : ""}cache.ttl`);
    } catch (error) {
      report({ code: "duration_invalid", message: error.message, task });
    }
  }
  return { enabled: true, ttlMs, customKey: typeof value.key === "function" };
}
function resolveParams(schema, report) {
  if (schema === void 0 || schema === null) return null;
  const zod = schema._zod;
  const isObjectSchema = typeof schema === "object" && typeof schema.safeParse === "function" && zod?.def?.type === "object";
  if (!isObjectSchema) {
    report({ code: "params_invalid", message: "params must be a zod object schema (zod 4), e.g. z.object({ threshold: z.number() })" });
    return null;
  }
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch (error) {
    report({ code: "params_invalid", message: `params schema cannot be described as JSON Schema: ${error.message}` });
    return null;
  }
}
function resolveBoundary(value, name, timezone, report) {
  if (value === void 0 || value === null) return null;
  let ms = null;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "string") ms = parseZonedDateTime(value, timezone);
  if (ms === null || !Number.isFinite(ms)) {
    report({
      code: "pipeline_option_invalid",
      message: `${name}: ${JSON.stringify(value instanceof Date ? "Invalid Date" : value)} is not a date (use "YYYY-MM-DD", an ISO timestamp or a Date)`
    });
    return null;
  }
  return new Date(ms).toISOString();
}
function resolveTags(tags, report) {
  if (tags === void 0) return [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) {
    report({ code: "pipeline_option_invalid", message: "tags must be an array of strings" });
    return [];
  }
  return [...new Set(tags)];
}
function positiveInteger(value, name, report) {
  if (value === void 0 || value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be a whole number \u2265 1, got ${JSON.stringify(value)}` });
  return null;
}
function booleanOption(value, fallback, name, report) {
  if (value === void 0) return fallback;
  if (typeof value === "boolean") return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be true or false` });
  return fallback;
}
function optionalString(value, name, report) {
  if (value === void 0 || value === null) return null;
  if (typeof value === "string") return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be a string` });
  return null;
}
function optionalDuration(value, name, report, positive) {
  if (value === void 0 || value === null) return null;
  try {
    const ms = parseDuration(value, name);
    if (positive && ms <= 0) {
      report({ code: "pipeline_option_invalid", message: `${name} must be longer than 0` });
      return null;
    }
    return ms;
  } catch (error) {
    report({ code: "duration_invalid", message: error.message });
    return null;
  }
}
function cloneSchedule(schedule) {
  if (schedule === void 0 || schedule === null) return null;
  if (typeof schedule !== "object") return schedule;
  if ("events" in schedule) {
    const copy = { events: Array.isArray(schedule.events) ? [...schedule.events] : schedule.events };
    if (schedule.cron !== void 0) copy.cron = schedule.cron;
    return copy;
  }
  if ("after" in schedule) return { after: Array.isArray(schedule.after) ? [...schedule.after] : schedule.after };
  return schedule;
}

// src/time/schedule.ts
import { Cron, CronPattern } from "croner";
var ScheduleInvalidError = class extends WeirError {
  constructor(schedule, why) {
    super("schedule_invalid", `schedule ${describe(schedule)} is not valid: ${why}`);
  }
};
var TimezoneInvalidError = class extends WeirError {
  constructor(timezone) {
    super("timezone_invalid", `timezone ${describe(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin", "America/New_York")`);
  }
};
function describe(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
var SCHEDULE_PRESETS = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *"
};
var CRON_HELP = 'use a cron expression like "0 2 * * *", a preset like "@daily", an interval like "15m", or null for manual runs';
var compiled = /* @__PURE__ */ new Map();
var MAX_COMPILED = 1e3;
function compiledCron(expression) {
  let entry = compiled.get(expression);
  if (entry === void 0) {
    const cron = new Cron(expression, { utcOffset: 0, mode: "5-part" });
    const hours = new CronPattern(expression, void 0, { mode: "5-part" }).hour;
    entry = { cron, everyHour: hours.length === 24 && hours.every((h) => h === 1) };
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value);
    compiled.set(expression, entry);
  }
  return entry;
}
function assertTimezone(timezone) {
  if (!isValidTimeZone(timezone)) throw new TimezoneInvalidError(timezone);
}
function parseCron(text, timezone, original) {
  const trimmed = text.trim().replace(/\s+/g, " ");
  let expression = trimmed;
  if (trimmed.startsWith("@")) {
    const preset = SCHEDULE_PRESETS[trimmed.toLowerCase()];
    if (preset === void 0) {
      throw new ScheduleInvalidError(original, `unknown preset (presets: ${Object.keys(SCHEDULE_PRESETS).join(", ")})`);
    }
    expression = preset;
  }
  const fields = expression.split(" ").length;
  if (fields !== 5) {
    throw new ScheduleInvalidError(original, `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this has ${fields}; ${CRON_HELP}`);
  }
  let entry;
  try {
    entry = compiledCron(expression);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, "");
    throw new ScheduleInvalidError(original, `${why}; ${CRON_HELP}`);
  }
  if (entry.cron.nextRun(/* @__PURE__ */ new Date(0)) === null) {
    throw new ScheduleInvalidError(original, "it never fires (no date matches it)");
  }
  return { kind: "cron", expression, timezone };
}
function parseStringSchedule(text, timezone, anchorMs) {
  const trimmed = text.trim();
  if (trimmed === "") throw new ScheduleInvalidError(text, `it is empty; ${CRON_HELP}`);
  if (!/\s/.test(trimmed) && !trimmed.startsWith("@")) {
    let everyMs;
    try {
      everyMs = parseDuration(trimmed, "schedule");
    } catch {
      throw new ScheduleInvalidError(text, `it is neither a cron expression nor an interval; ${CRON_HELP}`);
    }
    if (everyMs < 1e3) throw new ScheduleInvalidError(text, "an interval must be at least 1s");
    return { kind: "interval", everyMs, anchorMs };
  }
  return parseCron(trimmed, timezone, text);
}
function stringList(value, schedule, name, check) {
  if (!Array.isArray(value) || value.length === 0) throw new ScheduleInvalidError(schedule, `${name} must be a non-empty array`);
  for (const item of value) {
    if (typeof item !== "string" || !check(item)) throw new ScheduleInvalidError(schedule, `${name} has an invalid entry ${describe(item)}`);
  }
  return [...new Set(value)];
}
function parseSchedule(schedule, timezone, anchorMs = 0) {
  assertTimezone(timezone);
  if (schedule === null || schedule === void 0) return { kind: "manual" };
  if (typeof schedule === "string") return parseStringSchedule(schedule, timezone, anchorMs);
  if (typeof schedule !== "object" || Array.isArray(schedule)) {
    throw new ScheduleInvalidError(schedule, `a schedule is a string, { events: [...] }, { after: [...] } or null; ${CRON_HELP}`);
  }
  const keys = Object.keys(schedule);
  if ("events" in schedule && keys.every((k) => k === "events" || k === "cron")) {
    const events = stringList(schedule.events, schedule, "events", (s) => s.trim() !== "");
    if (schedule.cron === void 0) return { kind: "events", events, cron: null };
    if (typeof schedule.cron !== "string") throw new ScheduleInvalidError(schedule, "cron must be a string");
    return { kind: "events", events, cron: parseCron(schedule.cron, timezone, schedule) };
  }
  if ("after" in schedule && keys.length === 1) {
    return { kind: "after", pipelines: stringList(schedule.after, schedule, "after", isValidId) };
  }
  throw new ScheduleInvalidError(schedule, "an object schedule is { events: [...], cron? } or { after: [...] }");
}
function validateSchedule(schedule, timezone) {
  try {
    parseSchedule(schedule, timezone);
    return null;
  } catch (error) {
    if (error instanceof WeirError) return error.message;
    throw error;
  }
}

// src/worker/bundler.ts
var starting = null;
function bundler() {
  starting ??= import("esbuild").then(async (esbuild) => {
    try {
      await esbuild.transform("", { loader: "ts" });
    } catch {
    }
    return esbuild;
  });
  return starting;
}

// src/worker/load-pipeline-file.ts
var PipelineModules = class {
  files = /* @__PURE__ */ new Map();
  versions = /* @__PURE__ */ new Map();
  inflight = /* @__PURE__ */ new Map();
  /** Loads (or reloads, if its code changed) a file. Never throws: problems are in the result. */
  load(file2) {
    const path = resolve2(file2);
    const running = this.inflight.get(path);
    if (running) return running;
    const loading = this.loadNow(path).finally(() => this.inflight.delete(path));
    this.inflight.set(path, loading);
    return loading;
  }
  /** The pipeline of the current version of a file (loading it if needed). */
  async current(file2, pipelineId) {
    const path = resolve2(file2);
    const result = this.files.get(path)?.result ?? await this.load(path);
    const pipeline = this.files.get(path)?.pipelines.get(pipelineId);
    if (pipeline) return { ok: true, pipeline };
    return { ok: false, message: missingMessage(path, pipelineId, result) };
  }
  /**
   * The pipeline at exactly `version`. Fast when that version is loaded (no fs work); otherwise the
   * file is loaded again, in case it changed back or this worker hasn't loaded it yet.
   */
  async version(file2, pipelineId, version2) {
    const hit = this.versions.get(versionKey(pipelineId, version2));
    if (hit) return { ok: true, pipeline: hit };
    const path = resolve2(file2);
    const result = await this.load(path);
    const found = this.versions.get(versionKey(pipelineId, version2));
    if (found) return { ok: true, pipeline: found };
    const now = result.pipelines.find((p) => p.id === pipelineId);
    if (now) {
      return {
        ok: false,
        message: `pipeline ${pipelineId} version ${version2} is not the version in ${displayPath(path)} (${now.version}); the file changed since the run started`
      };
    }
    return { ok: false, message: `pipeline ${pipelineId} version ${version2} can't be loaded: ${missingMessage(path, pipelineId, result)}` };
  }
  async loadNow(path) {
    const previous = this.files.get(path);
    const imported = await importModule(path, previous?.hash);
    if (!imported.ok) return { file: path, pipelines: [], problems: [{ file: path, code: "import_failed", message: imported.message }] };
    if (imported.exports === null && previous) return previous.result;
    const loaded = compileExports(path, imported.exports ?? {});
    this.files.set(path, { hash: imported.hash, ...loaded });
    for (const pipeline of loaded.pipelines.values()) this.versions.set(versionKey(pipeline.graph.id, pipeline.graph.version), pipeline);
    return loaded.result;
  }
};
function versionKey(pipelineId, version2) {
  return `${pipelineId}
${version2}`;
}
function missingMessage(path, pipelineId, result) {
  const fileProblem = result.problems.find((p) => p.pipeline === void 0);
  if (fileProblem) return `${displayPath(path)}: ${fileProblem.message}`;
  const own = result.problems.find((p) => p.pipeline === pipelineId);
  if (own) return `pipeline ${pipelineId} in ${displayPath(path)} is invalid: ${own.message}`;
  return `${displayPath(path)} defines no pipeline ${pipelineId}`;
}
function compileExports(path, exports) {
  const problems = [];
  const graphs = [];
  const pipelines = /* @__PURE__ */ new Map();
  const found = /* @__PURE__ */ new Map();
  for (const [name, value] of Object.entries(exports)) {
    if (!isPipeline(value)) continue;
    const seen = found.get(value.id);
    if (seen === void 0) {
      found.set(value.id, { pipeline: value, name });
    } else if (seen.pipeline !== value) {
      problems.push({
        file: path,
        pipeline: value.id,
        code: "pipeline_duplicate",
        message: `pipeline id "${value.id}" is defined twice in this file (exports ${exportName(seen.name)} and ${exportName(name)})`
      });
    }
  }
  if (found.size === 0) {
    problems.push({ file: path, code: "no_pipeline", message: "the file exports no pipeline (export default pipeline({ id: \u2026 }, (p) => { \u2026 }))" });
  }
  for (const { pipeline } of found.values()) {
    if (problems.some((p) => p.pipeline === pipeline.id && p.code === "pipeline_duplicate")) continue;
    const spec = pipeline.spec;
    let compiled2;
    try {
      compiled2 = compilePipeline(spec, path);
    } catch (error) {
      problems.push({ file: path, pipeline: pipeline.id, code: "compile_failed", message: `compiling the pipeline threw: ${oneLine(error)}` });
      continue;
    }
    const own = compiled2.problems.map((p) => ({ ...p, file: path, pipeline: pipeline.id }));
    const scheduleProblem = safeValidateSchedule(spec);
    if (scheduleProblem !== null && !own.some((p) => p.message === scheduleProblem)) {
      own.push({ file: path, pipeline: pipeline.id, code: "schedule_invalid", message: scheduleProblem });
    }
    problems.push(...own);
    if (compiled2.graph && own.length === 0) {
      graphs.push(compiled2.graph);
      pipelines.set(pipeline.id, { file: path, spec, graph: compiled2.graph });
    }
  }
  return { result: { file: path, pipelines: graphs, problems }, pipelines };
}
function safeValidateSchedule(spec) {
  const schedule = spec.options.schedule ?? null;
  try {
    return validateSchedule(schedule, spec.options.timezone ?? "UTC");
  } catch (error) {
    return `invalid schedule: ${oneLine(error)}`;
  }
}
function exportName(name) {
  return name === "default" ? "default" : `"${name}"`;
}
async function importModule(path, knownHash) {
  process.setSourceMapsEnabled(true);
  const temp = join(dirname(path), `.${basename(path)}.weir-${process.pid}-${randomBytes(6).toString("hex")}.mjs`);
  const esbuild = await bundler();
  let code;
  try {
    const built = await esbuild.build({
      entryPoints: [path],
      outfile: temp,
      bundle: true,
      format: "esm",
      platform: "node",
      packages: "external",
      sourcemap: "inline",
      target: "node20",
      write: false,
      logLevel: "silent",
      absWorkingDir: dirname(path)
    });
    const output = built.outputFiles[0];
    if (!output) return { ok: false, message: "esbuild produced no output" };
    code = output.contents;
  } catch (error) {
    return { ok: false, message: describeBuildError(error, path) };
  }
  const hash = createHash2("sha256").update(code).digest("hex");
  if (hash === knownHash) return { ok: true, hash, exports: null };
  removeStaleTempModules(path);
  try {
    writeFileSync(temp, code, { flag: "wx" });
  } catch (error) {
    const errno = error.code;
    if (errno === "EACCES" || errno === "EROFS" || errno === "EPERM") return importWithTsx(path, knownHash);
    return { ok: false, message: `can't write the bundled module next to the file: ${oneLine(error)}` };
  }
  try {
    const exports = await import(pathToFileURL(temp).href);
    return { ok: true, hash, exports };
  } catch (error) {
    return { ok: false, message: describeImportError(error, path, temp) };
  } finally {
    try {
      unlinkSync(temp);
    } catch {
    }
  }
}
function removeStaleTempModules(path) {
  const prefix = `.${basename(path)}.weir-`;
  let names;
  try {
    names = readdirSync(dirname(path)).filter((name) => name.startsWith(prefix) && name.endsWith(".mjs"));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
    }
  }
}
function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}
async function importWithTsx(path, knownHash) {
  let hash;
  try {
    hash = createHash2("sha256").update(readFileSync(path)).digest("hex");
  } catch (error) {
    return { ok: false, message: oneLine(error) };
  }
  if (hash === knownHash) return { ok: true, hash, exports: null };
  try {
    const { tsImport } = await import("tsx/esm/api");
    const exports = await tsImport(pathToFileURL(path).href, import.meta.url);
    return { ok: true, hash, exports };
  } catch (error) {
    return { ok: false, message: describeImportError(error, path, null) };
  }
}
function describeBuildError(error, path) {
  const errors = error.errors;
  const first = Array.isArray(errors) ? errors[0] : void 0;
  if (!first) return oneLine(error);
  const loc = first.location;
  if (!loc) return first.text;
  const file2 = isAbsolute(loc.file) ? loc.file : resolve2(dirname(path), loc.file);
  return `${firstLine(first.text)} (at ${displayPath(file2)}:${loc.line}:${loc.column + 1})`;
}
function describeImportError(error, path, temp) {
  let message = oneLine(error);
  if (temp !== null) message = message.split(pathToFileURL(temp).href).join(path).split(temp).join(path);
  const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
  let fallback = null;
  for (const line of stack.split("\n").slice(1)) {
    const match = /^at (?:.*\()?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    let file2 = decodeURIComponent(match[1].replace(/^file:\/\//, ""));
    if (temp !== null && file2 === temp) file2 = path;
    const where = `${message} (at ${displayPath(file2)}:${match[2]}:${match[3]})`;
    if (file2 === path) return where;
    if (fallback === null && !file2.includes("/node_modules/") && !file2.includes(".weir-") && !WEIR_CODE.some((dir) => file2.startsWith(dir))) fallback = where;
  }
  if (fallback !== null) return fallback;
  return message;
}
var WEIR_ROOT = fileURLToPath2(new URL(import.meta.url.endsWith(".ts") ? "../.." : "..", import.meta.url));
var WEIR_CODE = [join(WEIR_ROOT, "dist") + sep, join(WEIR_ROOT, "src") + sep];
function oneLine(error) {
  if (error instanceof Error) return `${error.name !== "Error" && !error.message.startsWith(error.name) ? `${error.name}: ` : ""}${firstLine(error.message)}`;
  return firstLine(String(error));
}
function firstLine(text) {
  return text.split("\n", 1)[0] ?? "";
}
function displayPath(path) {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

// bench/.tmp-tb/pool.ts
var file = new URL("./p.ts", import.meta.url).pathname;
var version = (await new PipelineModules().load(file)).pipelines[0].version;
var done = 0;
var resolveAll;
var all = new Promise((r) => resolveAll = r);
var N = 2e4;
var pool = new LocalWorkerPool({ size: 2, workerScript: "/work/main/dist/worker.js", onResult: () => {
  if (++done === N) resolveAll();
} });
await Promise.all([pool.load(file), pool.load(file)]);
var job = (i) => ({ tryKey: `r/t${i % 10}/-1/${i}`, file, pipelineId: "tb", version, taskId: `t${i % 10}`, mapIndex: -1, tryNumber: 1, maxTries: 1, runId: "r", logicalDateMs: 0, intervalStartMs: 0, intervalEndMs: 0, params: {}, inputs: {}, logPath: `/tmp/tblogs/${i}.log`, timeoutMs: null, idempotencyKey: "k" });
var t0 = performance.now();
var c0 = process.cpuUsage();
var next = 0;
var top = () => {
  while (next < N && pool.freeSlots() > 0) pool.submit(job(next++));
};
var orig = pool.onResult;
pool.onResult = (k, r, t) => {
  orig(k, r, t);
  setImmediate(top);
};
top();
await all;
var c = process.cpuUsage(c0);
console.log(`${(N / ((performance.now() - t0) / 1e3)).toFixed(0)} tries/s; parent cpu ${((c.user + c.system) / N).toFixed(1)} \xB5s/try`);
await pool.close();
