// Caching of task results (docs/caching.md, docs/adr/0006). After a try is committed running, and before it
// is sent to a worker, a cacheable task's key is looked up: a hit ends the try as a cached success without
// a worker; a miss runs it and stores the key with its success. Default keys are computed here from what
// the job carries (code hash, encoded inputs and item, params) — no user code; a custom key is user code,
// so a worker computes it first (a quick round trip) and the job is then sent again, or answered from here.
import { createHash } from "node:crypto";
import type { TaskNode } from "../graph/types.js";
import { TryLog } from "../observe/try-log.js";
import type { RunRecord, Store } from "../store/types.js";
import type { TryJob, TryResult } from "../worker/protocol.js";

export interface TaskCacheOptions {
  store: Store;
  now: () => number;
  /** Sends a try to the executor. */
  submit: (job: TryJob) => void;
  /** Ends a try as if a worker had reported it (a cache hit). */
  deliver: (tryKey: string, result: TryResult) => void;
}

/** What the coordinator adds to a try's success event: the key it was computed under, or that it was a hit. */
export interface CacheFacts {
  cacheKey?: string;
  cached?: boolean;
}

/** The facts of a try the cache knows nothing of (shared: never written). */
export const NO_FACTS: CacheFacts = Object.freeze({});

export class TaskCache {
  /** Tries that run a cacheable task: their key, stored with their success. */
  private readonly keys = new Map<string, string>();
  /** Tries answered from the cache. */
  private readonly hits = new Set<string>();
  /** Custom-key tries whose key a worker is computing: the job to send again on a miss, and its TTL. */
  private readonly waiting = new Map<string, { job: TryJob; ttlMs: number | null }>();
  /** Whether a run bypasses the cache (`weir run --no-cache`), read once per run. */
  private readonly noCache = new Map<string, Promise<boolean>>();

  constructor(private readonly options: TaskCacheOptions) {}

  /** Whether `route` does more than submit the job. A branch's result is also a choice the engine must hear (`follow`): it always runs. */
  static consulted(task: TaskNode): boolean {
    return task.cache.enabled && task.kind !== "branch";
  }

  /**
   * Sends the job, or answers it from the cache. The cache is consulted on an instance's first try only: a
   * retry follows a failure, and an instance a user cleared (`weir clear`) has tries already — both run.
   */
  async route(run: RunRecord, task: TaskNode, job: TryJob): Promise<void> {
    if (!TaskCache.consulted(task)) {
      this.options.submit(job);
      return;
    }
    if (job.tryNumber !== 1 || (await this.bypassed(run.id))) {
      // Bypassed, not off: a result computed now (default key) is the freshest one for later runs to reuse.
      if (!task.cache.customKey) this.keys.set(job.tryKey, defaultCacheKey(run, task, job));
      this.options.submit(job);
      return;
    }
    if (task.cache.customKey) {
      this.waiting.set(job.tryKey, { job, ttlMs: task.cache.ttlMs });
      this.options.submit({ ...job, computeCacheKey: true });
      return;
    }
    await this.lookup(job, defaultCacheKey(run, task, job), task.cache.ttlMs);
  }

  /** A worker computed a custom key: look it up, then answer the try or send it again to run. */
  async keyComputed(tryKey: string, key: string): Promise<void> {
    const waiting = this.waiting.get(tryKey);
    if (!waiting) return;
    this.waiting.delete(tryKey);
    await this.lookup(waiting.job, key, waiting.ttlMs);
  }

  /** A try ended some other way (failed, aborted) while its key was being computed: forget it. */
  forget(tryKey: string): void {
    this.waiting.delete(tryKey);
    this.keys.delete(tryKey);
    this.hits.delete(tryKey);
  }

  /** Facts for the try's success event (taken: asked once per result). */
  factsFor(tryKey: string): CacheFacts {
    // Most runs cache nothing: no lookups (and no object) per result then.
    if (this.hits.size === 0 && this.keys.size === 0) return NO_FACTS;
    if (this.hits.delete(tryKey)) return { cached: true };
    const key = this.keys.get(tryKey);
    this.keys.delete(tryKey);
    return key === undefined ? NO_FACTS : { cacheKey: key };
  }

  private async lookup(job: TryJob, key: string, ttlMs: number | null): Promise<void> {
    const nowMs = this.options.now();
    const hit = await this.options.store.findCachedTry(key, ttlMs === null ? 0 : nowMs - ttlMs);
    if (hit === null || hit.output === null) {
      this.keys.set(job.tryKey, key);
      this.options.submit(job);
      return;
    }
    const source = `run ${hit.runId}, task ${hit.taskId}${hit.mapIndex >= 0 ? `[${hit.mapIndex}]` : ""}, try ${hit.tryNumber}`;
    writeLogLine(job.logPath, `cache hit: reused the result of ${source} (computed ${new Date(hit.endedMs).toISOString()}, key ${key.slice(0, 16)})`);
    this.hits.add(job.tryKey);
    this.options.deliver(job.tryKey, { outcome: "success", output: hit.output });
  }

  private bypassed(runId: string): Promise<boolean> {
    let known = this.noCache.get(runId);
    if (!known) {
      known = this.options.store.isRunNoCache(runId);
      this.noCache.set(runId, known);
    }
    return known;
  }

  /** A run ended: its settings are no longer needed. */
  runEnded(runId: string): void {
    this.noCache.delete(runId);
  }
}

/**
 * sha256 of the task's identity and code version, the run's data interval, its resolved inputs (encoded
 * upstream outputs; an artifact reference names its content's hash), its map element, and the run's params.
 */
export function defaultCacheKey(run: RunRecord, task: TaskNode, job: TryJob): string {
  const inputs = Object.keys(job.inputs)
    .sort()
    .map((name) => [name, job.inputs[name]]);
  // The data interval is an input of every task (ctx.logicalDate, ctx.interval): another date, another key.
  const material = JSON.stringify(["default", run.pipelineId, task.id, task.codeHash, run.intervalStartMs, run.intervalEndMs, inputs, job.item ?? null, sortKeys(run.params)]);
  return createHash("sha256").update(material).digest("hex");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

function writeLogLine(path: string, text: string): void {
  const log = new TryLog(path);
  try {
    log.line("info", text);
  } catch {
    // A log that can't be written doesn't change the try's outcome.
  } finally {
    try {
      log.close();
    } catch {
      // as above
    }
  }
}
