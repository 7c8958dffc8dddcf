// Used by `bench/run.mjs --cpu-prof DIR` (W5) as the pool's worker script: runs dist/worker.js unchanged
// under the V8 profiler (node:inspector) and writes DIR/worker-<pid>.cpuprofile when the pool's shutdown
// message arrives, before the worker exits (--cpu-prof is refused in NODE_OPTIONS, and the pool kills a
// worker that is slow to exit). The directory comes from WEIR_BENCH_WORKER_PROF_DIR, the workload's name
// (a prefix of the file) from WEIR_BENCH_WORKER_PROF_NAME.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.WEIR_BENCH_WORKER_PROF_DIR;
const name = process.env.WEIR_BENCH_WORKER_PROF_NAME ?? "bench";
const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.start");
process.prependListener("message", (m) => {
  if (m?.kind !== "shutdown" || !dir) return;
  // A same-thread session answers synchronously: the profile is written before serve.ts exits.
  session.post("Profiler.stop", (error, result) => {
    if (!error) writeFileSync(join(dir, `${name}-worker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
await import("../dist/worker.js");
