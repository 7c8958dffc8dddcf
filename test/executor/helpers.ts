// Shared pieces of the executor tests: pipeline files in a temp dir inside the package (so
// `import { pipeline } from "weir"` resolves through the package's self-reference), jobs, waiting.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { LocalWorkerPool, type LocalWorkerPoolOptions } from "../../src/executor/local-pool.js";
import { tryKeyOf, type TryJob, type TryResult } from "../../src/worker/protocol.js";
import { tryLogPath } from "../../src/observe/try-log-path.js";
import { isAlive } from "../process-alive.js";

/** A fresh directory under `parent` (by default beside these tests, inside the package); `write` creates subfolders as needed. */
export function makeTempDir(parent = import.meta.dirname): { dir: string; write: (name: string, text: string) => string; remove: () => void } {
  const dir = join(parent, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    write: (name, text) => {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let runCounter = 0;

export function makeJob(home: string, file: string, version: string, pipelineId: string, taskId: string, extra: Partial<TryJob> = {}): TryJob {
  const runId = extra.runId ?? `run${++runCounter}_${randomBytes(3).toString("hex")}`;
  const mapIndex = extra.mapIndex ?? -1;
  const tryNumber = extra.tryNumber ?? 1;
  return {
    tryKey: tryKeyOf(runId, taskId, mapIndex, tryNumber),
    file,
    pipelineId,
    version,
    taskId,
    mapIndex,
    tryNumber,
    maxTries: 1,
    runId,
    logicalDateMs: Date.UTC(2025, 8, 1),
    intervalStartMs: Date.UTC(2025, 8, 1),
    intervalEndMs: Date.UTC(2025, 8, 2),
    params: {},
    inputs: {},
    logPath: tryLogPath(home, pipelineId, runId, taskId, mapIndex, tryNumber),
    timeoutMs: null,
    idempotencyKey: `${runId}/${taskId}/${mapIndex}`,
    ...extra,
  };
}

/** A pool whose results can be awaited by try key. */
export function makePool(options: Partial<LocalWorkerPoolOptions> = {}): {
  pool: LocalWorkerPool;
  results: Map<string, TryResult[]>;
  run: (job: TryJob) => Promise<TryResult>;
} {
  const results = new Map<string, TryResult[]>();
  const waiters = new Map<string, (r: TryResult) => void>();
  const pool = new LocalWorkerPool({
    size: 2,
    ...options,
    onResult: (tryKey, result) => {
      const list = results.get(tryKey) ?? [];
      list.push(result);
      results.set(tryKey, list);
      waiters.get(tryKey)?.(result);
      waiters.delete(tryKey);
    },
  });
  const run = (job: TryJob): Promise<TryResult> =>
    new Promise((resolve) => {
      waiters.set(job.tryKey, resolve);
      pool.submit(job);
    });
  return { pool, results, run };
}

export { isAlive };

/** Loads `file` and returns the version of pipeline `id`, failing the test with the problems otherwise. */
export async function versionOf(pool: LocalWorkerPool, file: string, id: string): Promise<string> {
  const loaded = await pool.load(file);
  const graph = loaded.pipelines.find((p) => p.id === id);
  if (!graph) throw new Error(`pipeline ${id} not loaded: ${JSON.stringify(loaded.problems)}`);
  return graph.version;
}

export function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

if (!existsSync(join(import.meta.dirname, "../../dist/worker.js"))) {
  throw new Error("dist/worker.js is missing: run `npm run build` before the executor tests");
}
