// Which instances are upstream and downstream of an instance. Kept in one place because mapped tasks
// (one instance per map index) will change the answer here and nowhere else.
import type { EngineGraph } from "./types.js";
import { instanceKey } from "./types.js";

/** Keys of the direct upstream instances of (taskId, mapIndex): today one unmapped instance per upstream task. */
export function upstreamInstanceKeys(graph: EngineGraph, taskId: string, _mapIndex: number): string[] {
  const task = graph.tasks.get(taskId);
  if (!task) return [];
  return task.upstream.map((up) => instanceKey(up, -1));
}

/** Keys of the direct downstream instances of (taskId, mapIndex), read from the graph's index: O(out-degree). */
export function downstreamInstanceKeys(graph: EngineGraph, taskId: string, _mapIndex: number): string[] {
  const downstream = graph.downstream.get(taskId);
  if (!downstream) return [];
  return downstream.map((down) => instanceKey(down, -1));
}
