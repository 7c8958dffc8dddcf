// The pipelines the scheduler knows: every pipeline file under a root, loaded in worker processes (user
// code never runs here, DESIGN.md §7) and kept current while the files change.
//
// - Start: every file is loaded at once through the pool; every valid pipeline's version is saved to the
//   store; then changes are watched (watch-files.ts) and debounced per path.
// - A changed file is reloaded alone. Its new versions are saved to the store before they become
//   current; runs already going keep the version they recorded (the store keeps every version).
// - A file that now fails to load (import error, timeout, crash) keeps the last good version of each of
//   its pipelines registered, and reports the problem (as Airflow shows the last good parse with an
//   import error): a typo while editing doesn't stop a pipeline's schedule. Likewise a pipeline that
//   becomes invalid (a cycle, a bad schedule) keeps its last good version, with its problem. A pipeline
//   that is simply no longer defined by a file that loads is removed.
// - A deleted file removes its pipelines.
// - A pipeline id defined by two files belongs to the first in path order (the order of `weir
//   validate`); the other file gets a `pipeline_duplicate` problem. When the first file stops defining
//   it (deleted, edited), the next one takes over: its version is saved, then becomes current.
// - A module that defines no pipeline is a helper others may import: when one is added, changed or
//   deleted, every file with pipelines or problems is reloaded (the worker bundles local imports, so an
//   importer whose code didn't change loads to the same versions and nothing is reported).
// - `onChange` hears one event per file whose registered pipelines or problems changed; a reload that
//   changes nothing (an editor touching the file, a helper reload) is silent.
//
// A version the store fails to save doesn't become current (the previous one stays) and its file reports
// `pipeline_save_failed`; the next commit (any file's change) tries again. At the start a failed save
// fails the start. Pipelines saved in the store by earlier processes but no longer in any file
// stay in the store (runs refer to them); the registry only lists what the files define now.
//
// `holdSaves` (a standby scheduler's registry, docs/scheduler.md "Standby"): everything above happens but no
// version is saved, since which version is a pipeline's current one in the store is the lease holder's to set;
// `saveHeld` saves them (those the store doesn't have as current already) when it takes the lease over.
import { existsSync, type Stats, statSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { WeirError } from "../common/errors.js";
import type { PipelineGraph } from "../graph/types.js";
import type { Store } from "../store/types.js";
import type { LoadProblem, LoadResult } from "../worker/protocol.js";
import type { Clock } from "./clock.js";
import { comparePipelinePaths, findPipelineFiles, isPipelineFileName, isSkippedDirName, pipelineFilesUnder } from "./pipeline-files.js";
import { type TreeWatcher, type WatchMode, watchTree } from "./watch-files.js";
import { saveNewVersions, saveUnsaved } from "./registry-saves.js";
import { changesBetween, displayPath, EMPTY, ownedByFile, resolveOwners, type FileState, type PipelineChange, type Resolution } from "./registry-resolution.js";

/** What the registry needs of a worker pool: loading a file in a worker. Must never reject. */
export interface PipelineLoader {
  load(file: string): Promise<LoadResult>;
}

export type { PipelineChange, PipelineChangeKind } from "./registry-resolution.js";

export interface PipelineRegistryOptions {
  /** A directory (every pipeline file under it) or one pipeline file. */
  root: string;
  pool: PipelineLoader;
  store: Pick<Store, "savePipelineVersion">;
  clock: Pick<Clock, "now">;
  /** Called after each change is committed; must not throw. */
  onChange?: (change: PipelineChange) => void;
  /** Watch for changes after the start (default true). */
  watch?: boolean;
  /** Quiet time after a path's last event before it is looked at (default 100 ms). */
  debounceMs?: number;
  /** How to watch (watch-files.ts; default "auto"). */
  watchMode?: WatchMode;
  /** Save no version until `saveHeld` (a standby's registry; default false). */
  holdSaves?: boolean;
}

export class PipelineRegistry {
  private readonly root: string;
  private readonly pool: PipelineLoader;
  private readonly store: Pick<Store, "savePipelineVersion">;
  private readonly clock: Pick<Clock, "now">;
  private onChange: ((change: PipelineChange) => void) | undefined;
  private holding: boolean;
  private readonly watchEnabled: boolean;
  private readonly debounceMs: number;
  private readonly watchMode: WatchMode;

  private files = new Map<string, FileState>();
  private resolution: Resolution = EMPTY;
  private sortedPipelines: PipelineGraph[] = [];
  private allProblems: LoadProblem[] = [];
  /** Directories that couldn't be watched, by directory. */
  private readonly watchProblems = new Map<string, LoadProblem>();

  private isDirectory = true;
  private watcher: TreeWatcher | null = null;
  private state: "new" | "starting" | "started" | "stopped" = "new";
  /** Paths reported while the first load ran: looked at once it is committed. */
  private readonly early = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Files to load again, with whether the request came from the file system (helpers then reload others). */
  private readonly requests = new Map<string, boolean>();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Commits run one at a time, in order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: PipelineRegistryOptions) {
    this.root = resolve(options.root);
    this.pool = options.pool;
    this.store = options.store;
    this.clock = options.clock;
    this.onChange = options.onChange;
    this.watchEnabled = options.watch ?? true;
    this.debounceMs = options.debounceMs ?? 100;
    this.watchMode = options.watchMode ?? "auto";
    this.holding = options.holdSaves ?? false;
  }

  // --- read side ---

  /** The current version of every registered pipeline, by id. */
  pipelines(): PipelineGraph[] {
    return this.sortedPipelines.slice();
  }

  get(id: string): PipelineGraph | undefined {
    return this.resolution.owners.get(id)?.graph;
  }

  /** The file a pipeline is registered from. */
  fileOf(id: string): string | undefined {
    return this.resolution.owners.get(id)?.file;
  }

  /** The current problems of every file (in path order), duplicates and unwatchable directories included. */
  problems(): LoadProblem[] {
    return this.allProblems.slice();
  }

  /** Whether `start` has finished (the files are loaded and followed). */
  get started(): boolean {
    return this.state === "started";
  }

  // --- lifecycle ---

  /** Who hears each change from now on (a standby's registry passes from its waiting process to its service). */
  listen(onChange: (change: PipelineChange) => void): void {
    this.onChange = onChange;
  }

  /**
   * Ends `holdSaves`: saves each current version the store doesn't have as its pipeline's current one
   * (`heads` reads the store's heads, by id: only when holding, so a registry that never held reads nothing),
   * after the commits under way; later commits save as usual. Rejects if a save fails (still holding: a later
   * call tries again). Returns how many were saved.
   */
  saveHeld(heads: () => Promise<ReadonlyMap<string, { version: string; file: string }>>): Promise<number> {
    return this.serially(async () => {
      if (!this.holding) return 0;
      const count = await saveUnsaved(this.store, this.clock, this.resolution, await heads());
      this.holding = false;
      return count;
    });
  }

  /**
   * Loads every pipeline file under the root (in parallel, in workers), saves every valid pipeline's
   * version, then watches for changes. Rejects if the root doesn't exist, can't be watched, or the
   * store fails; a file that fails to load is a problem, not a failure.
   */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error("PipelineRegistry: start called twice");
    this.state = "starting";
    const { files, isDirectory } = findPipelineFiles(this.root);
    this.isDirectory = isDirectory;
    if (this.watchEnabled) {
      try {
        this.watcher = watchTree(isDirectory ? this.root : dirname(this.root), {
          recursive: isDirectory,
          mode: this.watchMode,
          skipDir: isSkippedDirName,
          onPath: (path) => this.onPath(path),
          onError: (dir, error) => this.watchFailed(dir, error),
        });
      } catch (error) {
        this.state = "stopped";
        throw new WeirError("watch_failed", `can't watch ${displayPath(this.root)} for changes: ${(error as Error).message}`, { input: false, cause: error });
      }
    }
    try {
      const results = await Promise.all(files.map((file) => this.pool.load(file)));
      if (this.state !== "starting") return;
      const updates = new Map<string, FileState>();
      files.forEach((file, i) => updates.set(file, this.fileState(results[i] as LoadResult, undefined)));
      await this.serially(() => this.commit(updates, true));
    } catch (error) {
      await this.stop();
      throw error;
    }
    if (this.state !== "starting") return;
    this.state = "started";
    for (const path of this.early) this.onPath(path);
    this.early.clear();
  }

  /** Stops watching and waits for loads and saves under way (their results are dropped). */
  async stop(): Promise<void> {
    this.state = "stopped";
    this.watcher?.close();
    this.watcher = null;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.requests.clear();
    this.early.clear();
    await Promise.all([...this.inflight.values()]);
    await this.chain;
  }

  // --- watching ---

  private onPath(path: string): void {
    if (this.state === "stopped" || !this.inScope(path)) return;
    if (this.state !== "started") {
      this.early.add(path);
      return;
    }
    const timer = this.timers.get(path);
    if (timer) clearTimeout(timer);
    this.timers.set(
      path,
      setTimeout(() => {
        this.timers.delete(path);
        this.reconcile(path);
      }, this.debounceMs),
    );
  }

  /** Under the root and not in a hidden directory or node_modules (nor a hidden file: the loader's bundles). */
  private inScope(path: string): boolean {
    if (!this.isDirectory) return path === this.root;
    const rel = relative(this.root, path);
    if (rel === "") return true;
    if (rel.startsWith("..") || isAbsolute(rel)) return false;
    return rel.split(sep).every((segment) => !isSkippedDirName(segment));
  }

  /** Looks at a path that may have changed: loads new and changed files, removes gone ones. */
  private reconcile(path: string): void {
    if (this.state !== "started") return;
    const stats = statOrNull(path);
    if (!this.isDirectory) {
      if (stats?.isFile()) this.request(path, true);
      else this.remove([path]);
      return;
    }
    if (stats === null) {
      this.clearWatchProblems(path);
      this.remove(this.knownUnder(path));
    } else if (stats.isDirectory()) {
      let found: string[];
      try {
        found = pipelineFilesUnder(path);
      } catch {
        return; // unreadable now; a later event looks again
      }
      const present = new Set(found);
      for (const file of found) if (!this.files.has(file) && !this.inflight.has(file)) this.request(file, true);
      this.remove(this.knownUnder(path).filter((file) => !present.has(file)));
    } else if (stats.isFile() && isPipelineFileName(basename(path))) {
      this.request(path, true);
    }
  }

  private knownUnder(path: string): string[] {
    const prefix = path.endsWith(sep) ? path : path + sep;
    return [...this.files.keys()].filter((file) => file === path || file.startsWith(prefix));
  }

  private watchFailed(dir: string, error: Error): void {
    if (this.state === "stopped") return;
    const problem: LoadProblem = { file: dir, code: "watch_failed", message: `changes under this directory are not seen: ${error.message}` };
    this.watchProblems.set(dir, problem);
    this.refreshProblems();
    this.emit({ kind: "failed", file: dir, pipelineIds: [], problems: [problem] });
  }

  private clearWatchProblems(path: string): void {
    let changed = false;
    for (const dir of this.watchProblems.keys()) {
      if (dir === path || dir.startsWith(path + sep)) changed = this.watchProblems.delete(dir) || changed;
    }
    if (changed) this.refreshProblems();
  }

  // --- loading ---

  /** Loads a file again; requests while it loads collapse into one more load after it. */
  private request(file: string, fromFileSystem: boolean): void {
    if (this.state !== "started") return;
    this.requests.set(file, (this.requests.get(file) ?? false) || fromFileSystem);
    if (!this.inflight.has(file)) this.inflight.set(file, this.drain(file));
  }

  private async drain(file: string): Promise<void> {
    try {
      await Promise.resolve(); // `inflight` holds this promise before any request is taken
      while (this.state === "started" && this.requests.has(file)) {
        const fromFileSystem = this.requests.get(file) ?? false;
        this.requests.delete(file);
        const result = await this.pool.load(file);
        if (this.state !== "started") return;
        const helper = await this.serially(() => this.applyLoad(file, result));
        if (fromFileSystem && helper) this.reloadImporters(file);
      }
    } finally {
      this.inflight.delete(file);
    }
  }

  /** Reloads every file that may import a helper module that changed. */
  private reloadImporters(helper: string): void {
    for (const [file, state] of this.files) if (file !== helper && !state.helper) this.request(file, false);
  }

  /** Commits one file's load; true if it is (or was) a helper module. */
  private async applyLoad(file: string, result: LoadResult): Promise<boolean> {
    if (this.state !== "started") return false;
    const previous = this.files.get(file);
    if (!existsSync(file)) {
      // Deleted while it loaded: its delete event is (or was) handled as a removal.
      if (previous) await this.commitRemoval([file]);
      return previous?.helper ?? false;
    }
    const next = this.fileState(result, previous);
    await this.commit(new Map([[file, next]]));
    return (previous?.helper ?? false) || next.helper;
  }

  private remove(files: string[]): void {
    if (files.length === 0) return;
    void this.serially(async () => {
      if (this.state !== "started") return;
      const helper = files.some((file) => this.files.get(file)?.helper === true);
      await this.commitRemoval(files);
      if (helper) this.reloadImporters("");
    });
  }

  private async commitRemoval(files: string[]): Promise<void> {
    const known = files.filter((file) => this.files.has(file));
    if (known.length > 0) await this.commit(new Map(known.map((file) => [file, null])));
  }

  private fileState(result: LoadResult, previous: FileState | undefined): FileState {
    const problems = result.problems.filter((p) => !(this.isDirectory && p.code === "no_pipeline"));
    const fileFailed = problems.some((p) => p.pipeline === undefined);
    const provided = new Map(result.pipelines.map((graph) => [graph.id, graph]));
    if (previous) {
      for (const [id, graph] of previous.provided) {
        if (!provided.has(id) && (fileFailed || problems.some((p) => p.pipeline === id))) provided.set(id, graph);
      }
    }
    return { provided, problems, helper: provided.size === 0 && problems.length === 0 };
  }

  // --- committing ---

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Applies file updates (null: the file is gone): resolves owners, saves every version that becomes
   * current, then makes them current and reports what changed. A version that fails to save doesn't
   * become current (the one before stays, if its file does) and its file reports `pipeline_save_failed`;
   * every later commit tries again. `strict` (the start): a failed save rejects, changing nothing.
   */
  private async commit(updates: Map<string, FileState | null>, strict = false): Promise<void> {
    const files = new Map(this.files);
    for (const [file, state] of updates) {
      if (state === null) files.delete(file);
      else files.set(file, state);
    }
    const resolution = resolveOwners(files);
    if (!this.holding) await saveNewVersions(this.store, this.clock, this.resolution, resolution, files, strict);
    resolution.owned = ownedByFile(resolution.owners);

    const before = { files: this.files, resolution: this.resolution };
    this.files = files;
    this.resolution = resolution;
    this.sortedPipelines = [...resolution.owners.values()].map((o) => o.graph).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.refreshProblems();
    if (this.onChange) for (const change of changesBetween(before, { files, resolution }, updates)) this.emit(change);
  }

  private refreshProblems(): void {
    const problems: LoadProblem[] = [];
    for (const file of [...this.files.keys()].sort(comparePipelinePaths)) {
      const state = this.files.get(file) as FileState;
      problems.push(...state.problems, ...(this.resolution.duplicates.get(file) ?? []));
    }
    problems.push(...this.watchProblems.values());
    this.allProblems = problems;
  }

  private emit(change: PipelineChange): void {
    this.onChange?.(change);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
