// Compiles a validated PipelineGraph into the engine's form once per pipeline version: only what the
// state machine reads, plus a downstream index so propagation never scans the whole graph.
import { shareEqualParts } from "../graph/share-parts.js";
import type { PipelineGraph } from "../graph/types.js";
import type { EngineGraph, EngineTask } from "./types.js";

const NO_TASK_ALERTS = { onFailure: [], onRetry: [], onSuccess: [] };

/** Per graph object: its runs (a minute's thousand, a backfill's hundreds) share one engine graph. */
const compiled = new WeakMap<PipelineGraph, EngineGraph>();

/** The engine's form of `graph`, built once per graph object (graphs and engine graphs are never mutated). */
export function compileEngineGraph(graph: PipelineGraph): EngineGraph {
  let engineGraph = compiled.get(graph);
  if (engineGraph === undefined) {
    engineGraph = compile(graph);
    compiled.set(graph, engineGraph);
  }
  return engineGraph;
}

function compile(graph: PipelineGraph): EngineGraph {
  // Memory: the graph lives as long as its runs; its equal parts become one object (strings, policies),
  // and the engine's form below reuses the graph's lists and policies instead of copying them.
  shareEqualParts(graph);
  const tasks = new Map<string, EngineTask>();
  for (const node of graph.tasks) {
    const mapping = node.mapping ?? (node.map ? { mode: "item" as const, over: { item: node.map } } : null);
    tasks.set(node.id, {
      id: node.id,
      upstream: distinct(node.upstream),
      trigger: node.trigger,
      retry: node.retry,
      alerts: node.alerts ?? NO_TASK_ALERTS,
      mapping: mapping === null ? null : { mode: mapping.mode, sources: [...new Set(Object.values(mapping.over))] },
      branch: node.kind === "branch" ? (node.branch ?? "choose") : null,
      mappedUpstream: false,
      mappedDownstream: false,
    });
  }
  const downstream = new Map<string, string[]>();
  // Walk in topological order so each downstream list is itself in a stable, meaningful order.
  const order = graph.order.length === tasks.size ? graph.order : [...tasks.keys()];
  for (const id of order) {
    const task = tasks.get(id);
    if (!task) continue;
    for (const up of task.upstream) {
      const upstreamTask = tasks.get(up);
      if (upstreamTask === undefined) continue;
      const list = downstream.get(up);
      if (list === undefined) downstream.set(up, [id]);
      else list.push(id);
      if (upstreamTask.mapping) task.mappedUpstream = true;
      if (task.mapping) upstreamTask.mappedDownstream = true;
    }
  }
  // Lists of one task (every leaf of a fan-out → join) are shared by content; tasks without any share one.
  // Keyed in the tasks' order, as before (the lists above were started in topological order).
  const none = emptyIdList();
  const single = new Map<string, string[]>();
  const byTask = new Map<string, string[]>();
  for (const id of tasks.keys()) {
    const list = downstream.get(id);
    if (list === undefined) byTask.set(id, none);
    else if (list.length === 1) {
      const only = list[0] as string;
      const known = single.get(only);
      if (known === undefined) single.set(only, list);
      byTask.set(id, known ?? list);
    } else {
      // A list grown by push keeps room for 17 ids (~150 bytes); a copy is its exact size.
      byTask.set(id, list.slice());
    }
  }
  return { tasks, downstream: byTask, order, runAlerts: graph.alerts ?? { onFailure: [], onSuccess: [] } };
}

/** The list itself when it has no repeats (a compiled graph's upstream lists never do), else a copy without. */
function distinct(list: readonly string[]): readonly string[] {
  if (list.length < 2) return list;
  const set = new Set(list);
  return set.size === list.length ? list : [...set];
}

/**
 * An empty list that V8 holds as a list of objects, like the lists of ids it stands beside: an empty literal
 * is a list of small integers to it, and code iterating downstream lists would be deoptimized ("wrong map")
 * the first time it met one (the last task of every run).
 */
function emptyIdList(): string[] {
  const list = [""];
  list.pop();
  return list;
}
