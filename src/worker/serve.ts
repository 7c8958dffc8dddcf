// The worker's message loop: imports pipeline files, parses params and runs tries one at a time, talking
// to its parent over IPC only (protocol.ts). Started by main.ts once esbuild is on its way.
import { encodeGraph } from "../graph/wire-graph.js";
import { killRunningShells } from "../operators/shell.js";
import { PipelineModules } from "./load-pipeline-file.js";
import { validateEventPayload } from "./event-payload.js";
import { parseParams } from "./params.js";
import type { FromWorker, ParamsResult, ToWorker } from "./protocol.js";
import { TryRunner, writeWorkerStderr } from "./run-try.js";
import { TryQueue } from "./try-queue.js";
import { startWatchdog } from "./watchdog.js";

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

/** Dies with everything it started: the commands' groups, then its own group (children of tasks). */
function dieNow(): never {
  killRunningShells();
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // not a group leader (started by hand): just exit
  }
  process.exit(1);
}

const killGraceMs = Number(process.env.WEIR_KILL_GRACE_MS ?? "5000");
const modules = new PipelineModules();
const runner = new TryRunner({ modules, shellKillGraceMs: Math.max(100, Math.floor((Number.isFinite(killGraceMs) ? killGraceMs : 5000) / 2)) });

const tries = new TryQueue(runner, send);

// --- retiring ---
// An uncaught error that belongs to no running try (it came from a try that already finished, from a
// load, or from nowhere we can tell) fails no try, but leaves this process in a state nobody vouches
// for: the worker finishes what it is doing, says so, and exits; the pool forks another.
let retiring = false;
let triesDone = false;
let requestsInFlight = 0;

function onUncaught(what: string, error: unknown): void {
  const owner = runner.interruptOwner(error);
  if (owner.interrupted) return;
  const where = owner.tryKey === null ? "outside any running try" : `from try ${owner.tryKey}, which had already finished`;
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  writeWorkerStderr(`weir worker ${process.pid}: ${what} ${where} (no try is failed for it; this worker retires): ${detail}\n`);
  if (retiring) return;
  retiring = true;
  tries.retire(() => {
    triesDone = true;
    exitIfRetired();
  });
}

function exitIfRetired(): void {
  if (!retiring || !triesDone || requestsInFlight > 0) return;
  killRunningShells();
  if (!process.connected) dieNow();
  // Results were sent before this (one channel, in order): the pool re-queues what we still held.
  process.send?.({ kind: "retiring" } satisfies FromWorker, () => process.exit(0));
}

process.on("uncaughtException", (error) => onUncaught("uncaught exception", error));
process.on("unhandledRejection", (reason) => onUncaught("unhandled rejection", reason));
// The parent is gone (killed, crashed): nobody will collect results; don't leave orphans behind.
process.on("disconnect", dieNow);
// A message the parent can no longer take (EPIPE): it exited before we noticed, e.g. a `weir run` that refused
// bad input before this prewarmed worker was even ready. The same as its disconnect, and nothing to report.
process.on("error", dieNow);

/** A load or params request, answered even while retiring (it started before). */
function answer<T>(work: Promise<T>, reply: (result: T) => FromWorker): void {
  requestsInFlight++;
  void work.then((result) => {
    requestsInFlight--;
    send(reply(result));
    exitIfRetired();
  });
}

process.on("message", (message: ToWorker) => {
  // Before any request runs user code (a file's top level, a param schema, a task): see watchdog.ts.
  startWatchdog();
  switch (message.kind) {
    case "run_tries":
      tries.add(message.jobs);
      break;
    case "abort_try":
      tries.abort(message.tryKey, message.reason);
      break;
    case "load":
      // A retiring worker takes no new work: the pool gives the request to another worker.
      if (!retiring) answer(modules.load(message.file), (result) => ({ kind: "loaded", requestId: message.requestId, result: { ...result, pipelines: result.pipelines.map(encodeGraph) } }));
      break;
    case "parse_params":
      if (!retiring) answer(parseFor(message), (result) => ({ kind: "params_parsed", requestId: message.requestId, result }));
      break;
    case "shutdown":
      killRunningShells();
      process.exit(0);
      break;
  }
});

async function parseFor(message: Extract<ToWorker, { kind: "parse_params" }>): Promise<ParamsResult> {
  try {
    const found = await modules.current(message.file, message.pipelineId);
    if (!found.ok) return { ok: false, problems: [{ param: "", message: found.message }] };
    if (message.event !== undefined) return validateEventPayload(found.pipeline.spec.options.event, message.event.payload);
    return parseParams(found.pipeline.spec.options.params, { raw: message.raw, values: message.values });
  } catch (error) {
    return { ok: false, problems: [{ param: "", message: error instanceof Error ? error.message : String(error) }] };
  }
}

send({ kind: "ready", pid: process.pid });
