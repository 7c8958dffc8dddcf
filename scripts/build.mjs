// Builds the package into dist/ with esbuild: the public entry and the worker process, sharing chunks so a
// pipeline file's `import "weir"` and the worker use one copy of the authoring API, and the CLI on its own. Then the web
// app (ui/) with Vite into dist/ui, which the API serves. `--no-ui` skips the web app (faster rebuilds).
import { build } from "esbuild";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const watch = process.argv.includes("--watch");
const dist = new URL("../dist", import.meta.url).pathname;
const started = performance.now();
// Dependencies stay external (resolved from node_modules at run time), except small ones that every CLI and
// worker start loads: devalue is 9 ES modules, each resolved, read and linked on its own (~8 ms of every
// start; bundled, ~2 ms), croner one more file.
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const bundled = new Set(["devalue", "croner"]);
const external = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies), pkg.name].filter((name) => !bundled.has(name));
const shared = { outdir: "dist", bundle: true, splitting: true, format: "esm", platform: "node", target: "node20", external, sourcemap: true, logLevel: watch ? "info" : "warning", metafile: true };
// The CLI is a build of its own: with one entry, what it imports statically is in cli.js itself (chunks only
// where its lazily imported commands share code), so it starts by reading one file, not a dozen chunks shared
// with the worker and the public API (~1 ms each before it can fork its first worker). Nothing needs one copy
// of a module between the CLI and the others: the CLI never runs pipeline code (workers do).
const results = await Promise.all([
  build({ ...shared, entryPoints: { index: "src/index.ts", worker: "src/worker/main.ts", "bench-harness": "bench/harness.ts", "bench-service-harness": "bench/service-harness.ts" } }),
  build({ ...shared, entryPoints: { cli: "src/cli/main.ts" } }),
]);
removeStaleChunks(new Set(results.flatMap((result) => Object.keys(result.metafile.outputs)).map((file) => relative("dist", file))));
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

// dist/ is rebuilt in place rather than deleted first: a `weir` process started from the previous build
// (a test's child, a running `weir dev`) may still import its chunks lazily, and dist/ui stays when the
// web app is not rebuilt. Chunks this build did not write are removed once they are a few minutes old.
function removeStaleChunks(written) {
  const cutoffMs = Date.now() - 5 * 60_000;
  for (const name of readdirSync(dist)) {
    if (!/\.js(\.map)?$/.test(name) || written.has(name)) continue;
    const path = join(dist, name);
    if (statSync(path).mtimeMs < cutoffMs) rmSync(path, { force: true });
  }
}
