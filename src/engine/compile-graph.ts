// Compiles a validated PipelineGraph into the engine's form once per pipeline version: only what the
// state machine reads, plus a downstream index so propagation never scans the whole graph.
import type { PipelineGraph } from "../graph/types.js";
import type { EngineGraph, EngineTask } from "./types.js";

const NO_TASK_ALERTS = { onFailure: [], onRetry: [], onSuccess: [] };

export function compileEngineGraph(graph: PipelineGraph): EngineGraph {
  const tasks = new Map<string, EngineTask>();
  for (const node of graph.tasks) {
    const mapping = node.mapping ?? (node.map ? { mode: "item" as const, over: { item: node.map } } : null);
    tasks.set(node.id, {
      id: node.id,
      upstream: [...new Set(node.upstream)],
      trigger: node.trigger,
      retry: { ...node.retry },
      alerts: node.alerts ?? NO_TASK_ALERTS,
      mapping: mapping === null ? null : { mode: mapping.mode, sources: [...new Set(Object.values(mapping.over))] },
      branch: node.kind === "branch" ? (node.branch ?? "choose") : null,
      mappedUpstream: false,
      mappedDownstream: false,
    });
  }
  const downstream = new Map<string, string[]>();
  for (const id of tasks.keys()) downstream.set(id, []);
  // Walk in topological order so each downstream list is itself in a stable, meaningful order.
  const order = graph.order.length === tasks.size ? graph.order : [...tasks.keys()];
  for (const id of order) {
    const task = tasks.get(id);
    if (!task) continue;
    for (const up of task.upstream) {
      downstream.get(up)?.push(id);
      const upstreamTask = tasks.get(up);
      if (upstreamTask?.mapping) task.mappedUpstream = true;
      if (upstreamTask && task.mapping) upstreamTask.mappedDownstream = true;
    }
  }
  return { tasks, downstream, order: [...order], runAlerts: graph.alerts ?? { onFailure: [], onSuccess: [] } };
}
