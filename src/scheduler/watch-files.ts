// Watches a directory tree and reports paths that may have changed (a file or a directory, which may be
// gone by now). The caller debounces and looks at the path itself: the event type says little.
//
// On Linux, Node 20's `fs.watch(dir, { recursive: true })` is emulated in JavaScript with one watcher per
// file and directory (node_modules and hidden directories included), and it loses a file that an editor
// saves by writing a temporary file and renaming it over the original: later edits are never reported
// (checked on Node 20.20). So "auto" watches each directory with its own inotify watcher there (what
// chokidar does), which sees creations, edits, deletions and renames of its entries by name, and skips
// the directories the caller skips. Elsewhere (macOS FSEvents, Windows) the native recursive watcher is
// used, falling back to per-directory watching where recursive watching is unavailable.
import { type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { join, sep } from "node:path";

export type WatchMode = "auto" | "recursive" | "per-directory";

export interface WatchTreeOptions {
  /** A path under the root that may have changed (absolute; the root itself when the OS doesn't say). */
  onPath(path: string): void;
  /** A directory that couldn't be watched after the start (e.g. the inotify limit was reached). */
  onError?(dir: string, error: Error): void;
  /** Directory names not to descend into (per-directory mode; recursive mode reports everything). */
  skipDir?(name: string): boolean;
  /** false: the root directory only, not its subdirectories (default true). */
  recursive?: boolean;
  mode?: WatchMode;
}

export interface TreeWatcher {
  readonly mode: "recursive" | "per-directory";
  close(): void;
}

/** Starts watching `root` (a directory); throws if the root itself can't be watched. */
export function watchTree(root: string, options: WatchTreeOptions): TreeWatcher {
  const recursive = options.recursive ?? true;
  const mode = options.mode ?? "auto";
  if (recursive && (mode === "recursive" || (mode === "auto" && process.platform !== "linux"))) {
    try {
      return nativeRecursive(root, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM") throw error;
    }
  }
  return perDirectory(root, options, recursive);
}

function nativeRecursive(root: string, options: WatchTreeOptions): TreeWatcher {
  const watcher = watch(root, { recursive: true }, (_event, name) => options.onPath(name ? join(root, name) : root));
  watcher.on("error", (error) => options.onError?.(root, error));
  return { mode: "recursive", close: () => watcher.close() };
}

function perDirectory(root: string, options: WatchTreeOptions, recursive: boolean): TreeWatcher {
  const skip = options.skipDir ?? (() => false);
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const drop = (dir: string): void => {
    for (const [path, watcher] of watchers) {
      if (path === dir || path.startsWith(dir + sep)) {
        watcher.close();
        watchers.delete(path);
      }
    }
  };

  const add = (dir: string): void => {
    if (closed || watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (event, name) => {
        if (closed) return;
        if (!name) {
          options.onPath(dir);
          return;
        }
        const full = join(dir, name);
        // A directory made or moved in is watched at once (before the caller looks at what is in it);
        // one deleted or moved out stops being watched.
        if (recursive && event === "rename" && !skip(name)) {
          if (isDirectory(full)) tryAdd(full);
          else drop(full);
        }
        options.onPath(full);
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (dir !== root && (code === "ENOENT" || code === "ENOTDIR")) return; // gone already
      throw error;
    }
    watcher.on("error", (error) => {
      // Usually the directory went away; whoever looks at the path finds out.
      drop(dir);
      if (!closed) {
        if (isDirectory(dir)) options.onError?.(dir, error);
        options.onPath(dir);
      }
    });
    watchers.set(dir, watcher);
    if (!recursive) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed meanwhile: its parent reports it
    }
    for (const entry of entries) if (entry.isDirectory() && !skip(entry.name)) add(join(dir, entry.name));
  };

  const tryAdd = (dir: string): void => {
    try {
      add(dir);
    } catch (error) {
      options.onError?.(dir, error as Error);
    }
  };

  try {
    add(root);
  } catch (error) {
    for (const watcher of watchers.values()) watcher.close();
    throw error;
  }
  return {
    mode: "per-directory",
    close: () => {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
