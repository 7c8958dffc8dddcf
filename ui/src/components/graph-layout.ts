// Lays out a pipeline's DAG with elkjs's layered algorithm in a Web Worker (elk-worker), so a large graph
// never blocks the page. Large graphs are laid out collapsed: tasks with the same upstream and downstream
// tasks (a wide fan-out of siblings) become one node; if that still leaves too many nodes for a readable
// (and quick) layout, every task at the same depth becomes one node, so ELK's input stays small.
import ELK from "elkjs/lib/elk-api.js";
import type { ElkExtendedEdge, ElkNode, ElkPoint } from "elkjs/lib/elk-api.js";
import workerUrl from "elkjs/lib/elk-worker.min.js?url";
import type { TaskNodeView } from "../../../src/api/types";

/** Above this many tasks, siblings are grouped before layout. */
export const COLLAPSE_AT = 120;
/** Above this many nodes after grouping siblings, tasks are grouped by depth instead. */
const MAX_NODES = 300;

export interface GraphNode {
  id: string;
  /** The tasks this node stands for: one, or a group of siblings when collapsed. */
  tasks: string[];
  mapped: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  id: string;
  points: ElkPoint[];
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
  collapsed: boolean;
}

let elk: InstanceType<typeof ELK> | null = null;
function layoutEngine(): InstanceType<typeof ELK> {
  elk ??= new ELK({ workerUrl });
  return elk;
}

const NODE_WIDTH = 172;
const NODE_HEIGHT = 48;
const MAPPED_HEIGHT = 62;

interface Group {
  id: string;
  tasks: string[];
  mapped: boolean;
}

function groupTasks(tasks: TaskNodeView[], collapse: boolean): { groups: Group[]; groupOf: Map<string, string> } {
  const groupOf = new Map<string, string>();
  if (!collapse) {
    for (const t of tasks) groupOf.set(t.id, t.id);
    return { groups: tasks.map((t) => ({ id: t.id, tasks: [t.id], mapped: t.map !== null })), groupOf };
  }
  const downstream = new Map<string, string[]>();
  for (const t of tasks) {
    for (const u of t.upstream) {
      const list = downstream.get(u);
      if (list) list.push(t.id);
      else downstream.set(u, [t.id]);
    }
  }
  const byKey = new Map<string, Group>();
  for (const t of tasks) {
    const key = `${[...t.upstream].sort().join(",")}|${[...(downstream.get(t.id) ?? [])].sort().join(",")}|${t.map !== null}`;
    const group = byKey.get(key);
    if (group) group.tasks.push(t.id);
    else byKey.set(key, { id: t.id, tasks: [t.id], mapped: t.map !== null });
  }
  let groups = [...byKey.values()].map((g) => (g.tasks.length > 1 ? { ...g, id: `group:${g.tasks[0]}` } : g));
  if (groups.length > MAX_NODES) groups = groupByDepth(tasks);
  for (const g of groups) for (const task of g.tasks) groupOf.set(task, g.id);
  return { groups, groupOf };
}

/** One group per depth (the longest path from a task without upstreams), in topological order. */
function groupByDepth(tasks: TaskNodeView[]): Group[] {
  const depth = new Map<string, number>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    // Iterative, so a 10,000-long chain cannot overflow the stack.
    const stack = [id];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as string;
      const pending = (byId.get(top)?.upstream ?? []).filter((u) => !depth.has(u) && byId.has(u));
      if (pending.length > 0) {
        for (const u of pending) stack.push(u);
        continue;
      }
      stack.pop();
      // A loop, not Math.max(...): a join of 100,000 upstreams would overflow the argument list.
      let d = 0;
      for (const u of byId.get(top)?.upstream ?? []) d = Math.max(d, (depth.get(u) ?? 0) + 1);
      depth.set(top, d);
    }
    return depth.get(id) ?? 0;
  };
  const layers: Group[] = [];
  for (const t of tasks) {
    const d = depthOf(t.id);
    const layer = (layers[d] ??= { id: `layer:${d}`, tasks: [], mapped: false });
    layer.tasks.push(t.id);
    if (t.map !== null) layer.mapped = true;
  }
  return layers.filter((g) => g !== undefined).map((g) => (g.tasks.length === 1 ? { ...g, id: g.tasks[0] as string } : g));
}

/** `grouped`: nodes that already stand for several tasks (the server collapsed a huge graph): drawn tall, with counts. */
export async function layoutGraph(tasks: TaskNodeView[], grouped: ReadonlySet<string> = new Set()): Promise<GraphLayout> {
  const collapsed = tasks.length > COLLAPSE_AT;
  const { groups, groupOf } = groupTasks(tasks, collapsed);
  const edgeIds = new Set<string>();
  const edges: ElkExtendedEdge[] = [];
  for (const t of tasks) {
    for (const u of t.upstream) {
      const source = groupOf.get(u);
      const target = groupOf.get(t.id);
      if (!source || !target || source === target) continue;
      const id = `${source}->${target}`;
      if (edgeIds.has(id)) continue;
      edgeIds.add(id);
      edges.push({ id, sources: [source], targets: [target] });
    }
  }
  const graph: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.layered.spacing.nodeNodeBetweenLayers": "44",
      "elk.spacing.nodeNode": "18",
      "elk.padding": "[top=16,left=16,bottom=16,right=16]",
      // Cheaper crossing minimisation on big graphs: a readable layout in seconds rather than minutes.
      "elk.layered.thoroughness": groups.length > 300 ? "1" : "7",
    },
    children: groups.map((g) => ({ id: g.id, width: NODE_WIDTH, height: g.mapped || g.tasks.length > 1 || grouped.has(g.id) ? MAPPED_HEIGHT : NODE_HEIGHT })),
    edges,
  };
  const result = await layoutEngine().layout(graph);
  const byId = new Map(groups.map((g) => [g.id, g]));
  const nodes: GraphNode[] = (result.children ?? []).map((child) => {
    const group = byId.get(child.id);
    return {
      id: child.id,
      tasks: group?.tasks ?? [child.id],
      mapped: group?.mapped ?? false,
      x: child.x ?? 0,
      y: child.y ?? 0,
      width: child.width ?? NODE_WIDTH,
      height: child.height ?? NODE_HEIGHT,
    };
  });
  const laidEdges: GraphEdge[] = ((result.edges ?? []) as ElkExtendedEdge[]).map((edge) => ({
    id: edge.id,
    points: (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]),
  }));
  return { nodes, edges: laidEdges, width: result.width ?? 0, height: result.height ?? 0, collapsed };
}
