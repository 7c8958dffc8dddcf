// Which files under a path are pipeline files: TypeScript and JavaScript modules, skipping declaration
// files, tests, node_modules and hidden directories (which also hides the loader's `.x.ts.weir-*.mjs`
// bundles). `weir validate` and the pipeline registry share it, so they agree on the files and on their
// order (the order decides which file keeps a pipeline id defined twice).
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { WeirError } from "../common/errors.js";

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIP_FILE = /\.d\.ts$|\.(test|spec)\.[mc]?[jt]s$/;

/** A file name (no directory) that names a pipeline module. */
export function isPipelineFileName(name: string): boolean {
  return !name.startsWith(".") && MODULE.test(name) && !SKIP_FILE.test(name);
}

/** A directory name that is never searched: hidden directories and node_modules. */
export function isSkippedDirName(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
}

/** The walk order of findPipelineFiles: by name within a directory, depth first (directories in place). */
export function comparePipelinePaths(a: string, b: string): number {
  const as = a.split(sep);
  const bs = b.split(sep);
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const order = (as[i] as string).localeCompare(bs[i] as string);
    if (order !== 0) return order;
  }
  return as.length - bs.length;
}

export function findPipelineFiles(path: string): { files: string[]; isDirectory: boolean } {
  const root = resolve(path);
  let stats;
  try {
    stats = statSync(root);
  } catch {
    throw new WeirError("path_not_found", `no such file or directory: ${path}`);
  }
  if (stats.isFile()) return { files: [root], isDirectory: false };
  return { files: pipelineFilesUnder(root), isDirectory: true };
}

/** The pipeline files under a directory, in walk order; [] if it is gone. */
export function pipelineFilesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string): void => {
    let entries;
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch (error) {
      // Gone (a race with a delete) or not a directory: nothing under it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw new WeirError("path_unreadable", `can't read directory ${relative(process.cwd(), at) || at}: ${(error as Error).message}`);
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) {
        if (!isSkippedDirName(entry.name)) walk(full);
      } else if (entry.isFile() && isPipelineFileName(entry.name)) files.push(full);
    }
  };
  walk(dir);
  return files;
}
