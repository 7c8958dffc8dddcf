// The compact graph of a huge pipeline: tasks with the same upstream and downstream tasks (and the same
// mapping) become one node, so a fan-out of 100,000 siblings answers as three nodes instead of 30 MB. The
// web app lays out what it gets (it groups the same way itself, so a collapsed answer looks the same).
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import type { StateCounts, TaskGroupView, TaskNodeView, TaskState } from "./types.js";
import { taskNodeView } from "./views.js";

/** Above this many tasks the graph (and the pipeline's task list) is compact unless `?full=1`. */
export const COMPACT_AT = 1000;
/** Task ids listed per group. */
const GROUP_SAMPLE = 200;

export interface CollapsedGraph {
  tasks: TaskNodeView[];
  edges: { from: string; to: string }[];
  order: string[];
  groups: Record<string, TaskGroupView>;
  /** Task id → the node that stands for it. */
  nodeOf: Map<string, string>;
}

// Pipeline versions are immutable and the API caches them: the grouping is worked out once per version.
const cache = new WeakMap<PipelineGraph, CollapsedGraph>();

export function collapseGraph(graph: PipelineGraph): CollapsedGraph {
  const known = cache.get(graph);
  if (known) return known;
  const byId = new Map(graph.tasks.map((t) => [t.id, t]));
  const downstream = new Map<string, string[]>();
  for (const t of graph.tasks) for (const u of t.upstream) (downstream.get(u) ?? downstream.set(u, []).get(u))?.push(t.id);
  const members = new Map<string, TaskNode[]>();
  for (const id of graph.order) {
    const t = byId.get(id);
    if (!t) continue;
    const key = `${[...t.upstream].sort().join(",")}|${[...(downstream.get(id) ?? [])].sort().join(",")}|${t.map ?? ""}`;
    const list = members.get(key);
    if (list) list.push(t);
    else members.set(key, [t]);
  }
  const nodeOf = new Map<string, string>();
  const nodes: { id: string; tasks: TaskNode[] }[] = [];
  for (const list of members.values()) {
    const first = list[0] as TaskNode;
    const id = list.length > 1 ? `group:${first.id}` : first.id;
    for (const t of list) nodeOf.set(t.id, id);
    nodes.push({ id, tasks: list });
  }
  // A group's members share their upstream, so its first member's place in the order is the group's.
  const position = new Map(graph.order.map((id, i) => [id, i]));
  nodes.sort((a, b) => (position.get(a.tasks[0]?.id ?? "") ?? 0) - (position.get(b.tasks[0]?.id ?? "") ?? 0));
  const groups: Record<string, TaskGroupView> = {};
  const edges: { from: string; to: string }[] = [];
  const tasks = nodes.map(({ id, tasks: list }) => {
    const first = list[0] as TaskNode;
    const upstream = [...new Set(first.upstream.map((u) => nodeOf.get(u) ?? u))];
    for (const from of upstream) edges.push({ from, to: id });
    const view = taskNodeView(first);
    if (list.length === 1) return { ...view, upstream, map: first.map === null ? null : (nodeOf.get(first.map) ?? first.map) };
    groups[id] = { size: list.length, tasks: list.slice(0, GROUP_SAMPLE).map((t) => t.id) };
    return { ...view, id, upstream, map: first.map === null ? null : (nodeOf.get(first.map) ?? first.map), description: `${list.length.toLocaleString("en")} tasks like ${first.id}` };
  });
  const collapsed = { tasks, edges, order: nodes.map((n) => n.id), groups, nodeOf };
  cache.set(graph, collapsed);
  return collapsed;
}

/** Per-task instance counts summed per node of the collapsed graph. */
export function countsByNode(byTask: Record<string, StateCounts>, nodeOf: ReadonlyMap<string, string>): Record<string, StateCounts> {
  const byNode: Record<string, StateCounts> = {};
  for (const [task, counts] of Object.entries(byTask)) {
    const node = (byNode[nodeOf.get(task) ?? task] ??= {});
    for (const [state, n] of Object.entries(counts) as [TaskState, number][]) node[state] = (node[state] ?? 0) + n;
  }
  return byNode;
}
