// Where the worker process's entry is: a module of its own, so the CLI can fork its first worker before it
// loads the pool (src/cli/main.ts prewarms one as the very first thing it does).
import { fileURLToPath } from "node:url";

/** dist/worker.js of this package: next to the bundle we are part of, or under the package root from source. */
export function defaultWorkerScript(): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith(".ts") ? new URL("../../dist/worker.js", here) : new URL("./worker.js", here));
}
