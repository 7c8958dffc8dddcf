// Equal parts of a graph as one object: a graph parsed from JSON (from a worker, from the store) has
// its own retry policy, cache, alerts, needs and copies of every id string in every task, ~700 bytes a
// task; a scheduler holding a 100k-task graph for a run's life keeps a third of that once they are shared.
import type { PipelineGraph, TaskNode } from "./types.js";

const shared = new WeakSet<PipelineGraph>();

/**
 * Replaces, in place, each part of `graph` that equals an earlier one by that earlier one: strings of
 * ids and labels, retry policies, caches, alerts, empty needs, an `upstream` list equal to `after`. The
 * graph's content (and its JSON) is unchanged; graphs are never mutated after they are compiled, which is
 * what makes sharing safe. Does the work once per graph object.
 */
export function shareEqualParts(graph: PipelineGraph): void {
  if (shared.has(graph)) return;
  shared.add(graph);
  const ids = new Map<string, string>();
  for (const task of graph.tasks) ids.set(task.id, task.id);
  const id = (value: string): string => ids.get(value) ?? value;
  const ids1 = (list: string[]): void => {
    for (let i = 0; i < list.length; i++) list[i] = id(list[i] as string);
  };
  const strings = new Map<string, string>();
  const text = (value: string): string => {
    const known = strings.get(value);
    if (known !== undefined) return known;
    strings.set(value, value);
    return value;
  };
  const objects = new Map<string, object>();
  const object = <T extends object>(kind: string, key: string, value: T): T => {
    const full = `${kind}\n${key}`;
    const known = objects.get(full) as T | undefined;
    if (known !== undefined) return known;
    objects.set(full, value);
    return value;
  };

  ids1(graph.order);
  // Graphs stored by older versions may lack a part (alerts, cache): those are left as they are.
  for (const task of graph.tasks as Partial<TaskNode>[]) {
    if (typeof task.kind === "string") task.kind = text(task.kind) as TaskNode["kind"];
    if (typeof task.trigger === "string") task.trigger = text(task.trigger) as TaskNode["trigger"];
    if (typeof task.queue === "string") task.queue = text(task.queue);
    if (typeof task.pool === "string") task.pool = text(task.pool);
    if (typeof task.codeHash === "string") task.codeHash = text(task.codeHash);
    if (typeof task.map === "string") task.map = id(task.map);
    if (Array.isArray(task.after)) ids1(task.after);
    if (Array.isArray(task.upstream)) {
      if (Array.isArray(task.after) && sameList(task.upstream, task.after)) task.upstream = task.after;
      else ids1(task.upstream);
    }
    if (task.needs) {
      const needs = Object.keys(task.needs);
      if (needs.length === 0) task.needs = object("needs", "", task.needs);
      else for (const name of needs) task.needs[name] = id(task.needs[name] as string);
    }
    const r = task.retry;
    // Keyed by the fields known here; an object with more fields (a newer graph) keeps its own.
    if (r && Object.keys(r).length === 4) task.retry = object("retry", `${r.retries}|${r.retryDelayMs}|${r.backoff}|${r.maxRetryDelayMs}`, r);
    const c = task.cache;
    if (c && Object.keys(c).length === 3) task.cache = object("cache", `${c.enabled}|${c.ttlMs}|${c.customKey}`, c);
    const a = task.alerts;
    if (a && Object.keys(a).length === 3 && a.onFailure.length === 0 && a.onRetry.length === 0 && a.onSuccess.length === 0) task.alerts = object("alerts", "", a);
  }
}

/** Records that `graph` already shares its equal parts (decodeGraph builds it so): shareEqualParts skips it. */
export function markShared(graph: PipelineGraph): void {
  shared.add(graph);
}

/** Whether two id lists are equal, element by element (here, not in wire-graph.ts, which imports this file). */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
