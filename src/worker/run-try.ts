// Runs one try in the worker: finds the task at the run's pipeline version, builds its context, calls
// it inside an error boundary, and turns whatever happens into a TryResult (DESIGN.md §7: failures
// cross processes as data). stdout/stderr writes and ctx.log lines go to the try's log meanwhile.
import { dirname, resolve } from "node:path";
import type { TaskContext, TaskLogger } from "../define/types.js";
import type { TaskSpec } from "../define/spec.js";
import type { TaskFailure } from "../engine/types.js";
import { TryLog, type LogStream } from "../observe/try-log.js";
import { runShell } from "../operators/shell.js";
import type { PipelineModules } from "./load-pipeline-file.js";
import { paramsForTry } from "./params.js";
import type { TryJob, TryReport, TryResult } from "./protocol.js";
import { abortFailure, timeoutMessage } from "./task-failures.js";
import { decodeValue, encodeValue } from "./value-codec.js";

type AbortReason = "timeout" | "canceled";

interface RunningTry {
  job: TryJob;
  controller: AbortController;
  log: TryLog;
  abortReason: AbortReason | null;
  /** Settles the try early (an uncaught exception while it runs); null once it has settled. */
  interrupt: ((error: unknown) => void) | null;
}

export interface TryRunnerOptions {
  modules: PipelineModules;
  /** Grace a shell command gets between SIGTERM and SIGKILL after an abort. */
  shellKillGraceMs: number;
}

export class TryRunner {
  private current: RunningTry | null = null;

  constructor(private readonly options: TryRunnerOptions) {}

  get busy(): boolean {
    return this.current !== null;
  }

  async run(job: TryJob): Promise<TryReport> {
    const startedMs = Date.now();
    const running: RunningTry = { job, controller: new AbortController(), log: new TryLog(job.logPath), abortReason: null, interrupt: null };
    this.current = running;
    const restore = captureOutput(running.log);
    let result: TryResult;
    try {
      result = await new Promise<TryResult>((settle) => {
        running.interrupt = (error) => settle(failureResult(error, true));
        this.execute(running).then(settle, (error: unknown) => settle(internalFailure(error)));
      });
    } finally {
      running.interrupt = null;
      restore();
    }
    if (running.abortReason !== null && result.outcome !== "failure") result = abortedResult(job, running.abortReason);
    else if (running.abortReason !== null && result.outcome === "failure" && result.error.kind === "error") result = abortedResult(job, running.abortReason);
    if (result.outcome === "failure") writeFailure(running.log, result.error);
    try {
      running.log.close();
    } catch {
      // a log that can't be written doesn't change the try's outcome
    }
    if (this.current === running) this.current = null;
    return { tryKey: job.tryKey, result, startedMs, endedMs: Date.now() };
  }

  abort(tryKey: string, reason: AbortReason): void {
    const running = this.current;
    if (!running || running.job.tryKey !== tryKey || running.abortReason !== null) return;
    running.abortReason = reason;
    running.controller.abort(new Error(reason === "timeout" ? timeoutMessage(running.job) : `task ${running.job.taskId} was canceled`));
  }

  /** An uncaught exception or unhandled rejection: fails the running try; false if none runs. */
  interruptCurrent(error: unknown): boolean {
    const interrupt = this.current?.interrupt;
    if (!interrupt) return false;
    interrupt(error);
    return true;
  }

  private async execute(running: RunningTry): Promise<TryResult> {
    const { job } = running;
    const found = await this.options.modules.version(job.file, job.pipelineId, job.version);
    if (!found.ok) return failure("PipelineVersionUnavailableError", found.message, false);
    const { spec } = found.pipeline;
    const task = spec.tasks.find((t) => t.id === job.taskId);
    if (!task) return failure("TaskNotFoundError", `pipeline ${job.pipelineId} version ${job.version} has no task ${job.taskId}`, false);
    if (task.kind === "shell") return this.executeShell(running, task, found.pipeline.file);

    const ctx = buildContext(job, paramsForTry(spec.options.params, job.params), running);
    const inputs: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(job.inputs)) inputs[name] = decodeValue(text);
    const fn = task.fn as ((...args: unknown[]) => unknown) | undefined;
    if (typeof fn !== "function") return failure("TaskNotFoundError", `task ${job.taskId} has no function`, false);

    let output: unknown;
    try {
      output = job.item !== undefined || task.map !== null ? await fn(ctx, job.item === undefined ? undefined : decodeValue(job.item), inputs) : await fn(ctx, inputs);
    } catch (error) {
      return failureResult(error, false);
    }
    try {
      return { outcome: "success", output: encodeValue(output, `task "${job.taskId}"`) };
    } catch (error) {
      return failure("OutputNotSerializableError", (error as Error).message, false);
    }
  }

  private async executeShell(running: RunningTry, task: TaskSpec, file: string): Promise<TryResult> {
    const { job } = running;
    const base = dirname(file);
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
      params: job.params,
      signal: running.controller.signal,
      killGraceMs: this.options.shellKillGraceMs,
      onOutput: (stream, text) => running.log.write(stream, text),
    });
    if (outcome.ok) return { outcome: "success", output: encodeValue(outcome.output, `task "${job.taskId}"`) };
    return failure(outcome.name, outcome.message, true);
  }
}

function buildContext(job: TryJob, params: unknown, running: RunningTry): TaskContext<unknown> {
  const log = (level: LogStream) => (message: string, fields?: Record<string, unknown>) => {
    running.log.line(level, fields === undefined ? String(message) : `${String(message)} ${stringifyFields(fields)}`);
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
    signal: running.controller.signal,
  };
}

function stringifyFields(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)) ?? "";
  } catch {
    return "{\"fields\":\"not serializable\"}";
  }
}

/** Routes process.stdout/stderr writes (console.* included) into the log; returns the undo. */
function captureOutput(log: TryLog): () => void {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (stream: "out" | "err") =>
    function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : String(chunk);
      log.write(stream, text);
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    };
  process.stdout.write = capture("out") as typeof process.stdout.write;
  process.stderr.write = capture("err") as typeof process.stderr.write;
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
}

function failure(name: string, message: string, retryable: boolean, stack?: string): TryResult {
  const error: TaskFailure = { name, message, retryable, kind: "error" };
  if (stack !== undefined) error.stack = stack;
  return { outcome: "failure", error };
}

/** The error boundary: SkipTask and FailWithoutRetry are recognized by name (any copy of weir). */
function failureResult(error: unknown, uncaught: boolean): TryResult {
  if (error instanceof Error) {
    const name = error.name || error.constructor?.name || "Error";
    if (name === "SkipTask" && !uncaught) return { outcome: "skipped", reason: error.message };
    return failure(name, error.message, name !== "FailWithoutRetry", error.stack);
  }
  if (typeof error === "object" && error !== null && typeof (error as { name?: unknown }).name === "string") {
    const { name, message } = error as { name: string; message?: unknown };
    if (name === "SkipTask" && !uncaught) return { outcome: "skipped", reason: String(message ?? "") };
    return failure(name, String(message ?? ""), name !== "FailWithoutRetry");
  }
  return failure("Error", `the task threw a non-error value: ${describeThrown(error)}`, true);
}

function internalFailure(error: unknown): TryResult {
  const result = failureResult(error, true);
  if (result.outcome === "failure") result.error.retryable = true;
  return result;
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
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
