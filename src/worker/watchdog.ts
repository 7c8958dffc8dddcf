// The parent watchdog and the heartbeat, on a thread of their own. The IPC "disconnect" handler (serve.ts)
// can't run while a task blocks the event loop; this thread can. It starts at the worker's first request
// rather than at its start: a Node thread's start-up costs ~20 ms of CPU, which at process start competes
// with the worker's own start-up and the CLI's (a cold `weir run` took ~24 ms longer with it there, bench
// W0). Before any request no user code has run, so the loop can't be blocked and "disconnect" covers a
// parent's death; the parent's pid is taken at start, so a parent that died meanwhile is noticed at the first check.
import { Worker } from "node:worker_threads";

/**
 * The thread: it polls whether the parent is gone (we were re-parented, or its pid no longer exists) and
 * then SIGKILLs this process's group — the worker and every process its tasks started. Eval'd (no module
 * to ship), it costs a few MB and no work on the worker's loop.
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

interface WatchdogFacts {
  parentPid: number;
  heartbeatFd: number | null;
  heartbeatMs: number;
}

/** Taken at start; null again once the thread is started (or when they were never taken). */
let facts: WatchdogFacts | null = null;

/**
 * At the worker's start: the parent's pid, and the pool's heartbeat pipe if it gave us one (a worker started
 * another way has none). The variables are removed: the tasks this worker runs (and the processes they
 * start) don't inherit them.
 */
export function takeWatchdogFacts(): void {
  const fd = Number(process.env.WEIR_HEARTBEAT_FD);
  const ms = Number(process.env.WEIR_HEARTBEAT_MS);
  delete process.env.WEIR_HEARTBEAT_FD;
  delete process.env.WEIR_HEARTBEAT_MS;
  facts = { parentPid: process.ppid, heartbeatFd: Number.isInteger(fd) && fd > 2 ? fd : null, heartbeatMs: Number.isInteger(ms) && ms > 0 ? ms : 1000 };
}

/** Starts the watchdog thread, once; before the first request that may run user code. */
export function startWatchdog(): void {
  if (facts === null) return;
  const workerData = { ...facts, pid: process.pid, intervalMs: 250 };
  facts = null;
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData });
  watchdog.unref();
  // A watchdog that fails to start leaves the 'disconnect' handler, which covers all but blocked loops.
  watchdog.on("error", () => {});
}
