// The worker's message loop: imports pipeline files, parses params and runs tries one at a time, talking
// to its parent over IPC only (protocol.ts). Started by main.ts once esbuild is on its way.
import { killRunningShells } from "../operators/shell.js";
import { PipelineModules } from "./load-pipeline-file.js";
import { parseParams } from "./params.js";
import type { FromWorker, ParamsResult, ToWorker } from "./protocol.js";
import { TryRunner } from "./run-try.js";
import { TryQueue } from "./try-queue.js";

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

process.on("uncaughtException", (error) => {
  if (!runner.interruptCurrent(error)) process.stderr.write(`weir worker: uncaught exception outside a try: ${error.stack ?? String(error)}\n`);
});
process.on("unhandledRejection", (reason) => {
  if (!runner.interruptCurrent(reason)) process.stderr.write(`weir worker: unhandled rejection outside a try: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});
// The parent is gone (killed, crashed): nobody will collect results; don't leave orphans behind.
process.on("disconnect", dieNow);

process.on("message", (message: ToWorker) => {
  switch (message.kind) {
    case "run_tries":
      tries.add(message.jobs);
      break;
    case "abort_try":
      tries.abort(message.tryKey, message.reason);
      break;
    case "load":
      void modules.load(message.file).then((result) => send({ kind: "loaded", requestId: message.requestId, result }));
      break;
    case "parse_params":
      void parseFor(message).then((result) => send({ kind: "params_parsed", requestId: message.requestId, result }));
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
    return parseParams(found.pipeline.spec.options.params, { raw: message.raw, values: message.values });
  } catch (error) {
    return { ok: false, problems: [{ param: "", message: error instanceof Error ? error.message : String(error) }] };
  }
}

send({ kind: "ready", pid: process.pid });
