// fileSensor: done when a file (or a glob's files) exists — optionally non-empty and not modified for a while
// (stable: a writer has finished). Stateless between checks, so each check may run in another process.
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parseDuration, type Duration } from "../../define/duration.js";
import type { TaskContext } from "../../define/types.js";

export interface FileSensorOptions<P = unknown> {
  /** A file path, or a glob whose wildcards (`*`, `?`) are in the last segment: `/data/in/*.csv`. A function gets the context. */
  path: string | ((ctx: TaskContext<P>) => string);
  /** Every matching file must be non-empty (default false). */
  nonEmpty?: boolean;
  /** Every matching file must be unmodified for this long (mtime), e.g. "30s" (default: no wait). */
  stableFor?: Duration;
}

export interface FileSensorResult {
  /** The matching files, absolute, sorted. */
  paths: string[];
}

/**
 * A sensor check for `p.sensor`: waits for a file or glob to appear.
 * @example
 * const landed = p.sensor("landed", { pokeInterval: "10s" }, fileSensor({ path: "/data/orders/*.csv", nonEmpty: true, stableFor: "30s" }));
 */
export function fileSensor<P = unknown>(options: FileSensorOptions<P>): ((ctx: TaskContext<P>) => Promise<false | FileSensorResult>) & { waitsFor: string } {
  const stableMs = options.stableFor === undefined ? 0 : parseDuration(options.stableFor, "stableFor");
  const check = async (ctx: TaskContext<P>): Promise<false | FileSensorResult> => {
    const pattern = resolve(typeof options.path === "function" ? options.path(ctx) : options.path);
    const paths = await matching(pattern);
    if (paths.length === 0) return false;
    const now = Date.now();
    for (const path of paths) {
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile()) return false;
      if (options.nonEmpty && info.size === 0) return false;
      if (stableMs > 0 && now - info.mtimeMs < stableMs) return false;
    }
    return { paths };
  };
  return Object.assign(check, { waitsFor: `file ${typeof options.path === "function" ? "(from the context)" : options.path}` });
}

async function matching(pattern: string): Promise<string[]> {
  const name = basename(pattern);
  if (!/[*?]/.test(name)) return (await stat(pattern).catch(() => null)) === null ? [] : [pattern];
  const dir = dirname(pattern);
  const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => regex.test(n)).sort().map((n) => join(dir, n));
}
