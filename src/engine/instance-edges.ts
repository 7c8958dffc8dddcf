// Which instances are upstream and downstream of an instance. Kept in one place: mapped tasks (one
// instance per map index, created at run time) change the answer here and nowhere else.
//
// A task that is not mapped has one instance (map index -1); a mapped task has its placeholder (-1) until
// it is expanded, then instances 0…n-1. Instance i of a mapped task D depends on:
//   - for a mapped task U that D maps over: U's instance idx(D, i, U) only (the same i for "item" and
//     "zip", the matching coordinate for "product") — so a chain of mapped tasks runs element by element;
//   - for every other upstream U: every instance of U (an unmapped task's one, all of a mapped one's).
// The downstream answer is the exact inverse, so counts kept through either side always agree.
import type { EngineGraph, EngineTask, Expansion } from "./types.js";
import { instanceKey } from "./types.js";

/** What the edges depend on at run time: which mapped tasks are expanded, and how. */
export interface ExpansionView {
  expansion(taskId: string): Expansion | undefined;
}

/** Keys of the direct upstream instances of (taskId, mapIndex). O(in-degree) plus the instances named. */
export function upstreamInstanceKeys(graph: EngineGraph, view: ExpansionView, taskId: string, mapIndex: number): readonly string[] {
  const task = graph.tasks.get(taskId);
  if (!task) return [];
  // No mapped upstream: one instance per upstream task, whose key is the task id.
  if (!task.mappedUpstream) return task.upstream;
  const keys: string[] = [];
  const expansion = mapIndex >= 0 ? view.expansion(taskId) : undefined;
  for (const up of task.upstream) {
    const upTask = graph.tasks.get(up);
    if (!upTask?.mapping) {
      keys.push(up);
      continue;
    }
    const position = expansion && task.mapping ? task.mapping.sources.indexOf(up) : -1;
    const upExpansion = view.expansion(up);
    if (position >= 0 && upExpansion) keys.push(instanceKey(up, sourceIndex(task, expansion as Expansion, position, mapIndex)));
    else pushAll(keys, up, upExpansion);
  }
  return keys;
}

/** Keys of the direct downstream instances of (taskId, mapIndex). O(out-degree) plus the instances named. */
export function downstreamInstanceKeys(graph: EngineGraph, view: ExpansionView, taskId: string, mapIndex: number): readonly string[] {
  const downstream = graph.downstream.get(taskId);
  if (!downstream) return [];
  const task = graph.tasks.get(taskId);
  // No mapped downstream: one instance per downstream task, whose key is the task id.
  if (!task?.mappedDownstream) return downstream;
  const keys: string[] = [];
  for (const down of downstream) {
    const downTask = graph.tasks.get(down);
    if (!downTask?.mapping) {
      keys.push(down);
      continue;
    }
    const expansion = view.expansion(down);
    const position = mapIndex >= 0 && expansion && task.mapping ? downTask.mapping.sources.indexOf(taskId) : -1;
    if (position >= 0) pushPaired(keys, downTask, expansion as Expansion, position, mapIndex);
    else pushAll(keys, down, expansion);
  }
  return keys;
}

/** Every instance of a task: its placeholder until it is expanded, then 0…count-1. */
export function instanceKeysOf(view: ExpansionView, taskId: string): string[] {
  const keys: string[] = [];
  pushAll(keys, taskId, view.expansion(taskId));
  return keys;
}

function pushAll(keys: string[], taskId: string, expansion: Expansion | undefined): void {
  if (!expansion) {
    keys.push(taskId);
    return;
  }
  for (let i = 0; i < expansion.count; i++) keys.push(instanceKey(taskId, i));
}

/**
 * The index into source `position` that instance `mapIndex` of a mapped task takes: the same index, except
 * for "product", where the index is split into one coordinate per source (the last varying fastest).
 */
export function sourceIndex(task: EngineTask, expansion: Expansion, position: number, mapIndex: number): number {
  const shape = task.mapping?.mode === "product" ? expansion.shape : null;
  if (shape === null) return mapIndex;
  let stride = 1;
  for (let p = shape.length - 1; p > position; p--) stride *= shape[p] as number;
  return Math.floor(mapIndex / stride) % (shape[position] as number);
}

/** Instances of `task` whose coordinate at `position` is `index` (the inverse of sourceIndex). */
function pushPaired(keys: string[], task: EngineTask, expansion: Expansion, position: number, index: number): void {
  const shape = task.mapping?.mode === "product" ? expansion.shape : null;
  if (shape === null) {
    if (index < expansion.count) keys.push(instanceKey(task.id, index));
    return;
  }
  let stride = 1;
  for (let p = shape.length - 1; p > position; p--) stride *= shape[p] as number;
  const block = stride * (shape[position] as number);
  for (let base = 0; base < expansion.count; base += block) {
    for (let offset = 0; offset < stride; offset++) keys.push(instanceKey(task.id, base + index * stride + offset));
  }
}
