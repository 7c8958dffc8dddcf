// The worker process (dist/worker.js), forked by the executor's pool. It leads its own process group,
// so the pool can kill it together with anything a task started. This entry starts the parent
// watchdog and esbuild's service (a separate process, so it boots in parallel), then loads the
// message loop.
import { Worker } from "node:worker_threads";
import { bundler } from "./bundler.js";

if (!process.send) {
  process.stderr.write("weir worker: must be started by the executor (no IPC channel)\n");
  process.exit(2);
}

/**
 * The IPC "disconnect" handler (serve.ts) can't run while a task blocks the event loop. This thread
 * can: it polls whether the parent is gone (we were re-parented, or its pid no longer exists) and then
 * SIGKILLs this process's group — the worker and every process its tasks started. A thread of its own
 * (eval'd, no module to ship) costs a few MB and no work on the worker's loop.
 */
const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const { parentPid, pid, intervalMs } = workerData;
function parentGone() {
  if (process.ppid !== parentPid) return true;
  try {
    process.kill(parentPid, 0);
    return false;
  } catch (error) {
    return error.code === "ESRCH";
  }
}
setInterval(() => {
  if (!parentGone()) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    process.kill(pid, "SIGKILL");
  }
}, intervalMs);
// Heartbeats to the pool (src/executor/heartbeat.ts): from this thread, so a task blocking the main
// thread still beats and only a stopped or wedged process goes silent.
const { heartbeatFd, heartbeatMs } = workerData;
if (heartbeatFd !== null) {
  const { writeSync } = require("node:fs");
  const beat = () => {
    try {
      writeSync(heartbeatFd, ".");
    } catch (error) {
      if (error.code !== "EAGAIN") clearInterval(beating);
    }
  };
  const beating = setInterval(beat, heartbeatMs);
  beat();
}
`;
const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { parentPid: process.ppid, pid: process.pid, intervalMs: 250, ...heartbeat() } });
watchdog.unref();
// A watchdog that fails to start leaves the 'disconnect' handler, which covers all but blocked loops.
watchdog.on("error", () => {});

/** The pool's heartbeat pipe, if it gave us one (a worker started another way has none). */
function heartbeat(): { heartbeatFd: number | null; heartbeatMs: number } {
  const fd = Number(process.env.WEIR_HEARTBEAT_FD);
  const ms = Number(process.env.WEIR_HEARTBEAT_MS);
  // Read once, here: the tasks this worker runs (and the processes they start) don't inherit them.
  delete process.env.WEIR_HEARTBEAT_FD;
  delete process.env.WEIR_HEARTBEAT_MS;
  return { heartbeatFd: Number.isInteger(fd) && fd > 2 ? fd : null, heartbeatMs: Number.isInteger(ms) && ms > 0 ? ms : 1000 };
}

process.setSourceMapsEnabled(true);
void bundler();
await import("./serve.js");
