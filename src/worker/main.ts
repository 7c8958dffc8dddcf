// The worker process (dist/worker.js), forked by the executor's pool. It leads its own process group,
// so the pool can kill it together with anything a task started. This entry reads the heartbeat pipe's
// settings, starts esbuild's service (a separate process, so it boots in parallel), then loads the
// message loop, which starts the parent watchdog at the first request (watchdog.ts).
import { bundler } from "./bundler.js";
import { takeWatchdogFacts } from "./watchdog.js";

if (!process.send) {
  process.stderr.write("weir worker: must be started by the executor (no IPC channel)\n");
  process.exit(2);
}

takeWatchdogFacts();
process.setSourceMapsEnabled(true);
void bundler();
await import("./serve.js");
