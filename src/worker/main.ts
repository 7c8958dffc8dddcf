// The worker process (dist/worker.js), forked by the executor's pool. It leads its own process group,
// so the pool can kill it together with anything a task started. This entry only starts esbuild's
// service (a separate process, so it boots in parallel) and then loads the message loop.
import { bundler } from "./bundler.js";

if (!process.send) {
  process.stderr.write("weir worker: must be started by the executor (no IPC channel)\n");
  process.exit(2);
}
process.setSourceMapsEnabled(true);
void bundler();
await import("./serve.js");
