// esbuild, started early: the worker entry calls `bundler()` before importing anything heavy, so the
// esbuild service process starts in parallel with the rest of the worker's start-up and the first
// load of a pipeline file doesn't pay for it. esbuild's JS API is a CommonJS file of ~100 KB: `require`d, not
// `import`ed, because an ES import of CommonJS first scans the whole file for its export names (Node's
// cjs-module-lexer), 15–20 ms more on every worker's start (measured: import 23–31 ms, require 9 ms).
import { createRequire } from "node:module";
import type * as EsbuildModule from "esbuild";

type Esbuild = typeof EsbuildModule;

let starting: Promise<Esbuild> | null = null;

export function bundler(): Promise<Esbuild> {
  starting ??= Promise.resolve(createRequire(import.meta.url)("esbuild") as Esbuild).then(async (esbuild) => {
    try {
      await esbuild.transform("", { loader: "ts" });
    } catch {
      // a broken esbuild shows up on the first real build, as that file's problem
    }
    return esbuild;
  });
  return starting;
}
