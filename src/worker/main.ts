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
`;
const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { parentPid: process.ppid, pid: process.pid, intervalMs: 250 } });
watchdog.unref();
// A watchdog that fails to start leaves the 'disconnect' handler, which covers all but blocked loops.
watchdog.on("error", () => {});

process.setSourceMapsEnabled(true);
void bundler();
await import("./serve.js");
