// Builds the package into dist/ with esbuild: the public entry, the CLI and the worker process, sharing
// chunks so a pipeline file's `import "weir"` and the worker use one copy of the authoring API. Then the web
// app (ui/) with Vite into dist/ui, which the API serves. `--no-ui` skips the web app (faster rebuilds).
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

if (!watch && !process.argv.includes("--no-ui")) {
  const uiStarted = performance.now();
  // Vite is a devDependency: an install without them (--omit=dev) still gets a working CLI and API.
  const vite = await import("vite").catch(() => null);
  if (vite) {
    const root = new URL("../ui", import.meta.url).pathname;
    await vite.build({ root, configFile: `${root}/vite.config.ts`, logLevel: "warn" });
    console.error(`built dist/ui in ${Math.round(performance.now() - uiStarted)} ms`);
  } else {
    console.error("vite is not installed (devDependencies omitted): dist/ui not built, the server will have no web app");
  }
}
