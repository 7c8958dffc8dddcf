// esbuild, started early: the worker entry calls `bundler()` before importing anything heavy, so the
// esbuild service process starts in parallel with the rest of the worker's start-up and the first
// load of a pipeline file doesn't pay for it.
import type * as EsbuildModule from "esbuild";

type Esbuild = typeof EsbuildModule;

let starting: Promise<Esbuild> | null = null;

export function bundler(): Promise<Esbuild> {
  starting ??= import("esbuild").then(async (esbuild) => {
    try {
      await esbuild.transform("", { loader: "ts" });
    } catch {
      // a broken esbuild shows up on the first real build, as that file's problem
    }
    return esbuild;
  });
  return starting;
}
