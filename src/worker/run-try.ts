// Runs one try in the worker: finds the task at the run's pipeline version, builds its context, calls
// it inside an error boundary, and turns whatever happens into a TryResult (DESIGN.md §7: failures
// cross processes as data). stdout/stderr writes and ctx.log lines go to the try's log meanwhile.
//
// A worker runs many tries back to back, and a try's code may go on after its result (a timer it left,
// a promise nobody awaited). Each task runs inside its own AsyncLocalStorage context, so whatever it
// writes or throws later is still known to be its: output is routed by context, never to "the try
// running now", and an uncaught error is blamed only on the try it came from.
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname, resolve } from "node:path";
import type { TaskContext, TaskLogger } from "../define/types.js";
import type { TaskSpec } from "../define/spec.js";
import type { TaskFailure } from "../engine/types.js";
import { TryLog, type LogStream } from "../observe/try-log.js";
import { runShell } from "../operators/shell.js";
import type { LoadedPipeline, PipelineModules } from "./load-pipeline-file.js";
import { eventForTry, isBatchedSchedule, withoutEvent } from "./event-payload.js";
import { paramsForTry } from "./params.js";
import type { TryJob, TryReport, TryResult } from "./protocol.js";
import { abortFailure, timeoutMessage } from "./task-failures.js";
import { customCacheKey, decodeData, storeOutput } from "./task-data.js";
import { encodeValue } from "./value-codec.js";
import { failure, failureResult, internalFailure, outcomeOf } from "./try-outcome.js";

type AbortReason = "timeout" | "canceled";

interface RunningTry {
  job: TryJob;
  /** Made on first use: most tasks never look at their signal, and an AbortController per try showed in the worker's profile. */
  controller: LazyAbortController;
  log: TryLog;
  abortReason: AbortReason | null;
  /** Settles the try early (an uncaught exception of its own); null once it has settled. */
  interrupt: ((error: unknown) => void) | null;
  /** Its result is decided: anything it writes or throws from now on is no longer its log's or its result's. */
  finished: boolean;
}

/** The try whose code is running (through timers, promises and callbacks it started). */
const tryContext = new AsyncLocalStorage<RunningTry | undefined>();

export interface TryRunnerOptions {
  modules: PipelineModules;
  /** Grace a shell command gets between SIGTERM and SIGKILL after an abort. */
  shellKillGraceMs: number;
}

/** Who an uncaught exception or unhandled rejection belongs to. */
export type UncaughtOwner =
  /** The running try it came from: that try failed with it (and its signal was aborted). */
  | { interrupted: true }
  /** A try that already finished (`tryKey`), or no try at all (null): nobody to blame. */
  | { interrupted: false; tryKey: string | null };

export class TryRunner {
  private current: RunningTry | null = null;

  constructor(private readonly options: TryRunnerOptions) {}

  /**
   * Runs a try and calls `done` once with its report: synchronously when it fails before the task's code
   * runs, else from one reaction to what the task returned (a microtask later for a plain value, as `await`
   * would). No async function or promise of its own per try: with AsyncLocalStorage on Node 20 every promise
   * runs async hooks, and for a trivial task those were a large part of its cost.
   */
  run(job: TryJob, done: (report: TryReport) => void): void {
    installOutputRouting();
    const startedMs = Date.now();
    const running: RunningTry = { job, controller: new LazyAbortController(), log: new TryLog(job.logPath), abortReason: null, interrupt: null, finished: false };
    this.current = running;
    let settled = false;
    // What follows a try (the next one) runs outside its context, as if called from the message loop
    // (`run(undefined)`, not `exit`: on Node 20 exit turns the async hooks off and on again).
    const end = (result: TryResult): void => tryContext.run(undefined, done, this.finish(running, result, startedMs));
    const settle = (result: TryResult): void => {
      if (settled) return;
      settled = true;
      end(result);
    };
    // An uncaught error of the try settles it at once, but it is finished (and the next try started) only
    // after the uncaught-error handler has returned (it still aborts the try's signal).
    running.interrupt = (error) => {
      if (settled) return;
      settled = true;
      const result = failureResult(error, true);
      setImmediate(end, result);
    };
    try {
      this.execute(running, settle);
    } catch (error) {
      settle(internalFailure(error));
    }
  }

  private finish(running: RunningTry, outcome: TryResult, startedMs: number): TryReport {
    const { job } = running;
    let result = outcome;
    running.interrupt = null;
    running.finished = true;
    if (this.current === running) this.current = null;
    if (running.abortReason !== null && result.outcome !== "failure") result = abortedResult(job, running.abortReason);
    else if (running.abortReason !== null && result.outcome === "failure" && result.error.kind === "error") result = abortedResult(job, running.abortReason);
    if (result.outcome === "failure") writeFailure(running.log, result.error);
    try {
      running.log.close();
    } catch {
      // a log that can't be written doesn't change the try's outcome
    }
    return { tryKey: job.tryKey, result, startedMs, endedMs: Date.now() };
  }

  abort(tryKey: string, reason: AbortReason): void {
    const running = this.current;
    if (!running || running.job.tryKey !== tryKey || running.abortReason !== null) return;
    running.abortReason = reason;
    running.controller.abort(new Error(reason === "timeout" ? timeoutMessage(running.job) : `task ${running.job.taskId} was canceled`));
  }

  /**
   * An uncaught exception or unhandled rejection (call it from the process handler: the context it
   * came from is still current there). It fails the try it came from if that try is still running;
   * it never fails another try.
   */
  interruptOwner(error: unknown): UncaughtOwner {
    const owner = tryContext.getStore();
    if (owner === undefined) return { interrupted: false, tryKey: null };
    const interrupt = owner.interrupt;
    if (owner.finished || interrupt === null) return { interrupted: false, tryKey: owner.job.tryKey };
    interrupt(error);
    // Whatever the task still has going (a request, a loop checking its signal) is told to stop.
    if (!owner.controller.aborted) owner.controller.abort(error);
    return { interrupted: true };
  }

  private execute(running: RunningTry, settle: (result: TryResult) => void): void {
    const { job } = running;
    // The version is loaded for nearly every try: no await (and no promise) for it then.
    const loaded = this.options.modules.loadedVersion(job.pipelineId, job.version);
    if (loaded !== undefined) return this.start(running, loaded, settle);
    // Outside the try's context: a module imported now runs its top-level code for no try in particular.
    this.options.modules.version(job.file, job.pipelineId, job.version).then(
      (found) => (found.ok ? this.start(running, found.pipeline, settle) : settle(failure("PipelineVersionUnavailableError", found.message, false))),
      (error: unknown) => settle(internalFailure(error)),
    );
  }

  /** Runs the task in the try's own async context. */
  private start(running: RunningTry, pipeline: LoadedPipeline, settle: (result: TryResult) => void): void {
    const { job } = running;
    const task = taskById(pipeline).get(job.taskId);
    if (!task) return settle(failure("TaskNotFoundError", `pipeline ${job.pipelineId} version ${job.version} has no task ${job.taskId}`, false));
    tryContext.run(running, () => {
      try {
        if (task.kind === "shell") this.executeShell(running, task, pipeline).then(settle, (error: unknown) => settle(internalFailure(error)));
        else this.executeFunction(running, task, pipeline, settle);
      } catch (error) {
        settle(internalFailure(error));
      }
    });
  }

  private executeFunction(running: RunningTry, task: TaskSpec, pipeline: LoadedPipeline, settle: (result: TryResult) => void): void {
    const { job } = running;
    const fn = task.fn as ((...args: unknown[]) => unknown) | undefined;
    if (typeof fn !== "function") return settle(failure("TaskNotFoundError", `task ${job.taskId} has no function`, false));
    const { options } = pipeline.spec;
    const event = eventForTry(options.event, job.params, isBatchedSchedule(options.schedule));
    const ctx = buildContext(job, paramsForTry(options.params, withoutEvent(job.params)), running, event);
    const inputs: Record<string, unknown> = {};
    const failed = (error: unknown): void => settle(failureResult(error, false));
    let returned: unknown;
    try {
      for (const name of Object.keys(job.inputs)) inputs[name] = decodeData(job.inputs[name] as string, job);
      const item = job.item === undefined ? undefined : decodeData(job.item, job);
      if (job.computeCacheKey) {
        customCacheKey(task, ctx, inputs, job).then((key) => settle({ outcome: "cache_key", key }), failed);
        return;
      }
      returned = job.item !== undefined || task.map !== null ? fn(ctx, item, inputs) : fn(ctx, inputs);
    } catch (error) {
      // As `await` would: a microtask later, so what the task queued before it threw still runs as its own.
      void Promise.reject(error).catch(failed);
      return;
    }
    // The task's own promise settles the try when it does (one reaction, as `await` costs); a plain value or
    // another thenable goes through Promise.resolve, as `await` takes it.
    const succeeded = (output: unknown): void => {
      let result: TryResult;
      try {
        result = outcomeOf(task, pipeline, job, output);
      } catch (error) {
        result = internalFailure(error);
      }
      settle(result);
    };
    Promise.resolve(returned).then(succeeded, failed);
  }

  private async executeShell(running: RunningTry, task: TaskSpec, pipeline: LoadedPipeline): Promise<TryResult> {
    const { job } = running;
    const base = dirname(pipeline.file);
    // The command sees the params the schema makes of the stored ones, as a function task would.
    const params = paramsForTry(pipeline.spec.options.params, withoutEvent(job.params));
    const outcome = await runShell({
      command: task.command ?? "",
      cwd: task.cwd === undefined ? base : resolve(base, task.cwd),
      env: task.env,
      runId: job.runId,
      pipelineId: job.pipelineId,
      taskId: job.taskId,
      mapIndex: job.mapIndex,
      logicalDate: new Date(job.logicalDateMs),
      interval: { start: new Date(job.intervalStartMs), end: new Date(job.intervalEndMs) },
      tryNumber: job.tryNumber,
      params: isRecord(params) ? params : {},
      signal: running.controller.signal,
      killGraceMs: this.options.shellKillGraceMs,
      onOutput: (stream, text) => running.log.write(stream, text),
    });
    if (outcome.ok) return { outcome: "success", output: storeOutput(encodeValue(outcome.output, `task "${job.taskId}"`), job) };
    return failure(outcome.name, outcome.message, true);
  }
}

function buildContext(job: TryJob, params: unknown, running: RunningTry, event: unknown): TaskContext<unknown> {
  const log = (level: LogStream) => (message: string, fields?: Record<string, unknown>) => {
    const text = fields === undefined ? String(message) : `${String(message)} ${stringifyFields(fields)}`;
    if (running.finished) writeStrayOutput(running, `${level} ${text}\n`);
    else running.log.line(level, text);
  };
  const logger: TaskLogger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return {
    runId: job.runId,
    pipelineId: job.pipelineId,
    taskId: job.taskId,
    mapIndex: job.mapIndex,
    logicalDate: new Date(job.logicalDateMs),
    interval: { start: new Date(job.intervalStartMs), end: new Date(job.intervalEndMs) },
    params,
    tryNumber: job.tryNumber,
    maxTries: job.maxTries,
    idempotencyKey: job.idempotencyKey,
    log: logger,
    get signal() {
      return running.controller.signal;
    },
    event,
  };
}

/** An AbortController made only when its signal is asked for; an abort before that is replayed onto it. */
class LazyAbortController {
  private controller: AbortController | null = null;
  private abortedWith: { reason: unknown } | null = null;

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortedWith !== null) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortedWith !== null;
  }

  abort(reason: unknown): void {
    if (this.abortedWith !== null) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
  }
}

function stringifyFields(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)) ?? "";
  } catch {
    return "{\"fields\":\"not serializable\"}";
  }
}

type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

let workerStderr: Write | null = null;

/**
 * Routes process.stdout/stderr writes (console.* included) by the context they are made in: to the log
 * of the running try they come from; prefixed with its key on the worker's own stderr when that try
 * has finished; unchanged outside tries. Installed once, for the life of the worker.
 */
function installOutputRouting(): void {
  if (workerStderr !== null) return;
  const out = process.stdout.write.bind(process.stdout) as Write;
  const err = process.stderr.write.bind(process.stderr) as Write;
  workerStderr = err;
  const route = (stream: "out" | "err", own: Write): Write =>
    function write(chunk, encoding, callback) {
      const owner = tryContext.getStore();
      if (owner === undefined) return own(chunk, encoding, callback);
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : String(chunk);
      if (owner.finished) writeStrayOutput(owner, text);
      else owner.log.write(stream, text);
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    };
  process.stdout.write = route("out", out) as typeof process.stdout.write;
  process.stderr.write = route("err", err) as typeof process.stderr.write;
}

/** Output of a try that already finished: on the worker's stderr, each line marked with the try's key. */
function writeStrayOutput(owner: RunningTry, text: string): void {
  const lines = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
  writeWorkerStderr(lines.map((line) => `[try ${owner.job.tryKey}, finished] ${line}\n`).join(""));
}

/** The worker's own stderr, whatever context the caller runs in (never a try's log). */
export function writeWorkerStderr(text: string): void {
  if (workerStderr !== null) workerStderr(text);
  else process.stderr.write(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function abortedResult(job: TryJob, reason: AbortReason): TryResult {
  return { outcome: "failure", error: abortFailure(job, reason) };
}

function writeFailure(log: TryLog, error: TaskFailure): void {
  try {
    log.line("error", error.stack ?? `${error.name}: ${error.message}`);
  } catch {
    // see run()
  }
}

/** Tasks of a loaded pipeline by id, built once per pipeline version (a linear search per try is O(n²) per run). */
const taskIndexes = new WeakMap<LoadedPipeline, Map<string, TaskSpec>>();
function taskById(pipeline: LoadedPipeline): Map<string, TaskSpec> {
  let index = taskIndexes.get(pipeline);
  if (!index) {
    index = new Map(pipeline.spec.tasks.map((t) => [t.id, t]));
    taskIndexes.set(pipeline, index);
  }
  return index;
}
