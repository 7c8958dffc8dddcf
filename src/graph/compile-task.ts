// One task of a spec compiled: its options resolved and checked (each problem naming the task and the
// option), its upstream, code hash and shared parts. compile-pipeline.ts does the pipeline around it.
import { isValidId } from "../common/ids.js";
import { parseDuration, type Duration } from "../define/duration.js";
import type { TaskSpec } from "../define/spec.js";
import { isTriggerRule } from "../define/trigger-rule-names.js";
import type { CacheOptions, RetryOptions } from "../define/types.js";
import { hashFunction, hashShell } from "./fingerprint.js";
import type { Report } from "./pipeline-options.js";
import { resolveSensor } from "./sensor-settings.js";
import { DEFAULT_MAX_RETRY_DELAY_MS, DEFAULT_RETRY_DELAY_MS, type RetryPolicy, type TaskMapping, type TaskNode } from "./types.js";

export interface ResolvedDefaults {
  retries: number;
  retryDelayMs: number;
  backoff: "fixed" | "exponential";
  maxRetryDelayMs: number;
  timeoutMs: number | null;
}

export function resolveDefaults(defaults: RetryOptions | undefined, report: Report): ResolvedDefaults {
  const base: ResolvedDefaults = {
    retries: 0,
    retryDelayMs: DEFAULT_RETRY_DELAY_MS,
    backoff: "fixed",
    maxRetryDelayMs: DEFAULT_MAX_RETRY_DELAY_MS,
    timeoutMs: null,
  };
  if (defaults === undefined || defaults === null) return base;
  if (typeof defaults !== "object") {
    report({ code: "pipeline_option_invalid", message: "defaults must be an object of retry and timeout options" });
    return base;
  }
  return resolveRetryOptions(defaults, base, "defaults", report, undefined);
}

function hasRetryOptions(options: RetryOptions): boolean {
  return options.retries !== undefined || options.backoff !== undefined || options.retryDelay !== undefined || options.maxRetryDelay !== undefined || options.timeout !== undefined;
}

function resolveRetryOptions(
  options: RetryOptions,
  base: ResolvedDefaults,
  where: string,
  report: Report,
  task: string | undefined,
): ResolvedDefaults {
  const code = task === undefined ? "pipeline_option_invalid" : "task_option_invalid";
  // A task's problems carry `task`; only pipeline-level ones name their place in the message.
  const prefix = where ? `${where}: ` : "";
  const say = (message: string) => report(task === undefined ? { code, message } : { code, message, task });
  const duration = (value: Duration | undefined, name: string, fallback: number, positive: boolean): number => {
    if (value === undefined) return fallback;
    try {
      const ms = parseDuration(value, `${prefix}${name}`);
      if (positive && ms <= 0) {
        say(`${prefix}${name} must be longer than 0`);
        return fallback;
      }
      return ms;
    } catch (error) {
      report({ code: "duration_invalid", message: (error as Error).message, ...(task === undefined ? {} : { task }) });
      return fallback;
    }
  };
  let retries = base.retries;
  if (options.retries !== undefined) {
    if (typeof options.retries === "number" && Number.isInteger(options.retries) && options.retries >= 0) retries = options.retries;
    else say(`${prefix}retries must be a whole number ≥ 0, got ${JSON.stringify(options.retries)}`);
  }
  let backoff = base.backoff;
  if (options.backoff !== undefined) {
    if (options.backoff === "fixed" || options.backoff === "exponential") backoff = options.backoff;
    else say(`${prefix}backoff must be "fixed" or "exponential", got ${JSON.stringify(options.backoff)}`);
  }
  return {
    retries,
    retryDelayMs: duration(options.retryDelay, "retryDelay", base.retryDelayMs, false),
    backoff,
    maxRetryDelayMs: duration(options.maxRetryDelay, "maxRetryDelay", base.maxRetryDelayMs, false),
    // A bad timeout keeps the inherited one (0 stands for "none" only inside this call).
    timeoutMs: duration(options.timeout, "timeout", base.timeoutMs ?? 0, true) || null,
  };
}

/**
 * Equal retry policies, caches and empty alert lists of one graph are one object: a graph of 100k tasks
 * written in a loop then holds a handful of them instead of 100k each (the graph is never mutated).
 */
export class SharedParts {
  private readonly policies = new Map<string, RetryPolicy>();
  readonly cacheOff: TaskNode["cache"] = { enabled: false, ttlMs: null, customKey: false };
  readonly noAlerts: TaskNode["alerts"] = { onFailure: [], onRetry: [], onSuccess: [] };
  readonly noNeeds: Record<string, string> = {};
  private defaults: RetryPolicy | null = null;

  /** The policy of a task without retry options of its own: the pipeline's defaults. */
  defaultPolicy(defaults: ResolvedDefaults): RetryPolicy {
    this.defaults ??= this.policy(defaults);
    return this.defaults;
  }

  policy(retry: ResolvedDefaults): RetryPolicy {
    const key = `${retry.retries}|${retry.retryDelayMs}|${retry.backoff}|${retry.maxRetryDelayMs}`;
    let policy = this.policies.get(key);
    if (policy === undefined) {
      policy = { retries: retry.retries, retryDelayMs: retry.retryDelayMs, backoff: retry.backoff, maxRetryDelayMs: retry.maxRetryDelayMs };
      this.policies.set(key, policy);
    }
    return policy;
  }
}

const NO_IDS: readonly string[] = [];

function hasKeys(object: object | undefined): boolean {
  for (const _key in object) return true;
  return false;
}

/** Whether a list has an id twice: pairwise for the short lists of a usual task, a set for long ones. */
function hasRepeats(list: readonly string[]): boolean {
  const n = list.length;
  if (n <= 1) return false;
  if (n > 16) return new Set(list).size !== n;
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (list[i] === list[j]) return true;
  return false;
}

/**
 * needs ∪ after ∪ map sources, deduplicated, in that order. When that is `after` itself (no needs, no map,
 * no repeats: a generated graph's usual task) it is the same array: graphs are never mutated.
 */
function upstreamOf(needs: Record<string, string>, after: string[], mapSources: readonly string[]): string[] {
  if (mapSources.length === 0 && !hasKeys(needs) && !hasRepeats(after)) return after;
  return [...new Set([...Object.values(needs), ...after, ...mapSources])];
}

export function compileTask(spec: TaskSpec, defaults: ResolvedDefaults, report: Report, shared: SharedParts): TaskNode {
  const id = spec.id;
  const options = (spec.options ?? {}) as TaskSpec["options"];
  // What a check says goes through sayFor, called only where an option is there to check: a closure per
  // task showed in the garbage of a 100k-task compile, whose tasks have none.

  const retry = hasRetryOptions(options) ? resolveRetryOptions(options, defaults, "", report, id) : defaults;
  const policy = retry === defaults ? shared.defaultPolicy(defaults) : shared.policy(retry);

  let trigger: TaskNode["trigger"] = "all_success";
  if (options.trigger !== undefined) {
    if (isTriggerRule(options.trigger)) trigger = options.trigger;
    else sayFor(report, id)(`trigger ${JSON.stringify(options.trigger)} is not a trigger rule (all_success, all_done, none_failed, …)`);
  }
  let priority = 0;
  if (options.priority !== undefined) {
    if (typeof options.priority === "number" && Number.isFinite(options.priority)) priority = options.priority;
    else sayFor(report, id)(`priority must be a number, got ${JSON.stringify(options.priority)}`);
  }
  let description: string | null = null;
  if (options.description !== undefined) {
    if (typeof options.description === "string") description = options.description;
    else sayFor(report, id)("description must be a string");
  }

  const needs = hasKeys(spec.needs) ? { ...spec.needs } : shared.noNeeds;
  const after = [...spec.after];
  const mapping = (spec.mapping === undefined || spec.mapping === null) && spec.map === null ? null : resolveMapping(spec, sayFor(report, id));
  const mapSources = mapping === null ? (spec.map === null ? NO_IDS : [spec.map]) : Object.values(mapping.over);
  const upstream = upstreamOf(needs, after, mapSources);
  const node: TaskNode = {
    id,
    kind: spec.kind,
    upstream,
    needs,
    after,
    map: mapSources[0] ?? null,
    trigger,
    retry: policy,
    timeoutMs: retry.timeoutMs,
    queue: options.queue === undefined ? "default" : label(options.queue, "queue", sayFor(report, id)),
    pool: options.pool === undefined ? "default" : label(options.pool, "pool", sayFor(report, id)),
    priority,
    cache: options.cache === undefined || options.cache === false ? shared.cacheOff : resolveCache(options.cache, "", report, id),
    description,
    command: spec.kind === "shell" ? (spec.command ?? null) : null,
    codeHash: spec.kind === "shell" ? hashShell(spec.command, spec.env, spec.cwd) : spec.kind === "pipeline" ? hashFunction(`pipeline:${JSON.stringify(spec.subPipeline ?? null)}`) : hashFunction(spec.fn),
    alerts:
      options.onFailure === undefined && options.onRetry === undefined && options.onSuccess === undefined
        ? shared.noAlerts
        : {
            onFailure: notifierNames(options.onFailure, "onFailure", sayFor(report, id)),
            onRetry: notifierNames(options.onRetry, "onRetry", sayFor(report, id)),
            onSuccess: notifierNames(options.onSuccess, "onSuccess", sayFor(report, id)),
          },
  };
  // Only mapped and branch tasks carry these: other graphs (and their versions) stay as they were.
  if (mapping !== null) node.mapping = mapping;
  if (spec.kind === "branch") node.branch = spec.branch ?? "choose";
  if (spec.kind === "pipeline") node.subPipeline = resolveSubPipeline(spec, sayFor(report, id));
  if (spec.kind === "sensor") resolveSensor(spec, node, sayFor(report, id));
  return node;
}

function sayFor(report: Report, task: string): (message: string) => void {
  return (message) => report({ code: "task_option_invalid", message, task });
}

/** A queue or pool name: an id, else "default" (and the problem said). */
function label(value: unknown, name: "queue" | "pool", say: (message: string) => void): string {
  if (typeof value === "string" && isValidId(value)) return value;
  say(`${name} ${JSON.stringify(value)} must match [A-Za-z0-9_.-]{1,250}`);
  return "default";
}

/** The spec's mapping with `maxParallel` checked; a spec with only `map` (older builders) maps over one item. */
function resolveMapping(spec: TaskSpec, say: (message: string) => void): TaskMapping | null {
  const given = spec.mapping ?? (spec.map === null ? null : { mode: "item" as const, over: { item: spec.map } });
  if (given === null || given === undefined) return null;
  let maxParallel: number | null = null;
  if (given.maxParallel !== undefined) {
    const value = given.maxParallel;
    if (typeof value === "number" && Number.isInteger(value) && value > 0) maxParallel = value;
    else say(`maxParallel must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  }
  return { mode: given.mode, over: { ...given.over }, maxParallel };
}

/** A sub-pipeline task's pipeline and params: JSON (stored with the graph), and never the pipeline itself. */
function resolveSubPipeline(spec: TaskSpec, say: (message: string) => void): TaskNode["subPipeline"] {
  const given = spec.subPipeline ?? { pipelineId: "", params: {} };
  let params: Record<string, unknown> = {};
  try {
    params = JSON.parse(JSON.stringify(given.params)) as Record<string, unknown>;
  } catch (error) {
    say(`params of the sub-pipeline must be JSON: ${(error as Error).message}`);
  }
  return { pipelineId: given.pipelineId, params };
}

/** Notifier names: ids, configured elsewhere (WEIR_NOTIFIER_<NAME>); unknown ones are reported at delivery. */
export function notifierNames(value: unknown, name: string, say: (message: string) => void): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && isValidId(v))) {
    say(`${name} must be a list of notifier names (letters, digits, _ . -), got ${JSON.stringify(value)}`);
    return [];
  }
  return [...new Set(value.map((v: string) => v.toLowerCase()))];
}

function resolveCache(value: boolean | CacheOptions<never, never> | undefined, where: string, report: Report, task: string): TaskNode["cache"] {
  const off = { enabled: false, ttlMs: null, customKey: false };
  if (value === undefined || value === false) return off;
  if (value === true) return { enabled: true, ttlMs: null, customKey: false };
  if (typeof value !== "object" || value === null) {
    report({ code: "task_option_invalid", message: `${where ? `${where}: ` : ""}cache must be true, false or { key?, ttl? }`, task });
    return off;
  }
  if (value.key !== undefined && typeof value.key !== "function") {
    report({ code: "task_option_invalid", message: `${where ? `${where}: ` : ""}cache.key must be a function`, task });
  }
  let ttlMs: number | null = null;
  if (value.ttl !== undefined) {
    try {
      ttlMs = parseDuration(value.ttl, `${where ? `${where}: ` : ""}cache.ttl`);
    } catch (error) {
      report({ code: "duration_invalid", message: (error as Error).message, task });
    }
  }
  return { enabled: true, ttlMs, customKey: typeof value.key === "function" };
}
