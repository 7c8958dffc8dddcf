// Builds the package into dist/ with esbuild: the public entry, the CLI and the worker process, sharing
// chunks so a pipeline file's `import "weir"` and the worker use one copy of the authoring API.
import { build } from "esbuild";
import { rmSync } from "node:fs";

const watch = process.argv.includes("--watch");
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
const started = performance.now();
await build({
  entryPoints: { index: "src/index.ts", cli: "src/cli/main.ts", worker: "src/worker/main.ts", "bench-harness": "bench/harness.ts", "bench-service-harness": "bench/service-harness.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: watch ? "info" : "warning",
});
if (!watch) console.error(`built dist/ in ${Math.round(performance.now() - started)} ms`);
