// A graph's compact form for the trip from the worker that compiled it to the scheduler (IPC). A graph
// is mostly tasks alike but for their id and edges: 100k tasks are ~50 MB of JSON, seconds to write,
// send and parse. Here ids are written once, edges as positions, and tasks that differ only in id and
// edges as the number of a shared template; the decoded graph equals the original (the same JSON, keys
// in the same order) and its tasks share those templates' parts, as shareEqualParts would make them.
import { markShared } from "./share-parts.js";
import type { PipelineGraph, TaskNode } from "./types.js";

export const WIRE_GRAPH_FORMAT = "weir-graph/1";

/** A task alike others but for id and edges: everything else, shared. */
type Template = Omit<TaskNode, "id" | "upstream" | "after">;

/** A task sent whole (options of its own): everything but its id and edges. */
interface RawTask {
  raw: Omit<TaskNode, "id" | "upstream" | "after">;
}

export interface WireGraph {
  format: typeof WIRE_GRAPH_FORMAT;
  /** The graph without `tasks` and `order`. */
  graph: Omit<PipelineGraph, "tasks" | "order">;
  /** The graph's keys in their order (`tasks` and `order` included), so its JSON is the same text. */
  keys: string[];
  ids: string[];
  /** Per task: the number of its template, or the task itself. */
  tasks: (number | RawTask)[];
  templates: Template[];
  /**
   * Per task: the count of upstream positions and the positions; then -1 when `after` is the same list,
   * else the count of `after` positions and the positions.
   */
  edges: number[];
  /** The order, as positions. */
  order: number[];
}

/** The keys of a task that a template stands for, in the order the compiler writes them (decodeGraph too). */
const TEMPLATE_TASK_KEYS = ["id", "kind", "upstream", "needs", "after", "map", "trigger", "retry", "timeoutMs", "queue", "pool", "priority", "cache", "description", "command", "codeHash", "alerts"];

/**
 * The compact form, or the graph itself when it can't be written compactly and exactly (an edge to an
 * id that is not a task, an order that is not the tasks). Never throws for a compiled graph.
 */
export function encodeGraph(graph: PipelineGraph): WireGraph | PipelineGraph {
  const { tasks, order, ...rest } = graph;
  const position = new Map<string, number>();
  const ids: string[] = new Array<string>(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const id = (tasks[i] as TaskNode).id;
    if (position.has(id)) return graph;
    position.set(id, i);
    ids[i] = id;
  }
  const edges: number[] = [];
  const pushPositions = (list: readonly string[]): boolean => {
    edges.push(list.length);
    for (const id of list) {
      const at = position.get(id);
      if (at === undefined) return false;
      edges.push(at);
    }
    return true;
  };
  const templates: Template[] = [];
  const templateOf = new Map<string, number>();
  // Shared parts (the compiler makes equal retry policies, caches and alerts one object) are keyed by
  // identity; a task with parts of its own gets a template of its own, which is still exact.
  const partIds = new Map<object, number>();
  const part = (value: object): number => {
    let id = partIds.get(value);
    if (id === undefined) {
      id = partIds.size;
      partIds.set(value, id);
    }
    return id;
  };
  const encoded: (number | RawTask)[] = new Array<number | RawTask>(tasks.length);
  // Alike tasks come in runs (a generated layer, a fan-out's leaves): the previous plain task's template
  // is tried first, field by field, before a key is built (a string per task, 100k of them, showed).
  let previous: TaskNode | null = null;
  let previousTemplate = -1;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as TaskNode;
    if (!pushPositions(task.upstream)) return graph;
    if (sameList(task.after, task.upstream)) edges.push(-1);
    else if (!pushPositions(task.after)) return graph;
    if (!isPlain(task)) {
      encoded[i] = { raw: withoutEdges(task) };
      continue;
    }
    if (previous !== null && sameTemplate(task, previous)) {
      encoded[i] = previousTemplate;
      continue;
    }
    const key =
      `${task.kind}|${task.trigger}|${part(task.retry)}|${task.timeoutMs}|${task.queue}|${task.pool}|${task.priority}|` +
      `${part(task.cache)}|${part(task.alerts)}|${task.codeHash}`;
    let template = templateOf.get(key);
    if (template === undefined) {
      template = templates.length;
      templates.push(withoutEdges(task));
      templateOf.set(key, template);
    }
    encoded[i] = template;
    previous = task;
    previousTemplate = template;
  }
  const orderPositions: number[] = new Array<number>(order.length);
  for (let i = 0; i < order.length; i++) {
    const at = position.get(order[i] as string);
    if (at === undefined) return graph;
    orderPositions[i] = at;
  }
  return { format: WIRE_GRAPH_FORMAT, graph: rest, keys: Object.keys(graph), ids, tasks: encoded, templates, edges, order: orderPositions };
}

/**
 * The compact form each graph decoded from one came from, until `compactGraph` takes it: the store keeps a
 * version's graph compact, and encoding it again would cost what sending it spared (~150 ms for 100k tasks).
 * Taken once (a version is saved once), so a graph kept for a run doesn't keep its compact form too.
 */
const sources = new WeakMap<PipelineGraph, WireGraph>();

/** The compact form of a graph: the one it was decoded from if not taken yet, else a fresh `encodeGraph`. */
export function compactGraph(graph: PipelineGraph): WireGraph | PipelineGraph {
  const source = sources.get(graph);
  if (source === undefined) return encodeGraph(graph);
  sources.delete(graph);
  return source;
}

/** The graph of `encodeGraph`'s result (a graph sent as it is is returned as it is). */
export function decodeGraph(value: WireGraph | PipelineGraph): PipelineGraph {
  return decode(value, true);
}

/** As decodeGraph, for a graph read back from where it was written: its compact form is not remembered. */
export function decodeStoredGraph(value: WireGraph | PipelineGraph): PipelineGraph {
  return decode(value, false);
}

function decode(value: WireGraph | PipelineGraph, keepSource: boolean): PipelineGraph {
  if (!isWireGraph(value)) return value;
  const { ids, templates, edges } = value;
  let at = 0;
  const positions = (): string[] => {
    const count = edges[at++] as number;
    const list = new Array<string>(count);
    for (let k = 0; k < count; k++) list[k] = ids[edges[at++] as number] as string;
    return list;
  };
  const tasks: TaskNode[] = new Array<TaskNode>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const upstream = positions();
    let after = upstream;
    if (edges[at] === -1) at++;
    else after = positions();
    const entry = value.tasks[i] as number | RawTask;
    const id = ids[i] as string;
    if (typeof entry === "number") {
      const t = templates[entry] as Template;
      // The compiler's key order, so the graph's JSON (stored, shown) is the same text as the worker's.
      tasks[i] = {
        id,
        kind: t.kind,
        upstream,
        needs: t.needs,
        after,
        map: t.map,
        trigger: t.trigger,
        retry: t.retry,
        timeoutMs: t.timeoutMs,
        queue: t.queue,
        pool: t.pool,
        priority: t.priority,
        cache: t.cache,
        description: t.description,
        command: t.command,
        codeHash: t.codeHash,
        alerts: t.alerts,
      };
    } else {
      tasks[i] = Object.assign({ id, kind: entry.raw.kind, upstream, needs: entry.raw.needs, after }, entry.raw);
    }
  }
  const order = value.order.map((position) => ids[position] as string);
  const rest = value.graph as Record<string, unknown>;
  const graph: Record<string, unknown> = {};
  for (const key of value.keys) graph[key] = key === "tasks" ? tasks : key === "order" ? order : rest[key];
  // Tasks of one template share its parts; ids are one string each (the `ids` list).
  markShared(graph as unknown as PipelineGraph);
  if (keepSource) sources.set(graph as unknown as PipelineGraph, value);
  return graph as unknown as PipelineGraph;
}

export function isWireGraph(value: unknown): value is WireGraph {
  return typeof value === "object" && value !== null && (value as { format?: unknown }).format === WIRE_GRAPH_FORMAT;
}

/**
 * A task a template can stand for: exactly the compiler's keys in its order, none of them specific to
 * the task but its id and edges (no needs, map, description or command).
 */
function isPlain(task: TaskNode): boolean {
  if (task.map !== null || task.description !== null || task.command !== null) return false;
  for (const _name in task.needs) return false;
  // for-in, not Object.keys: no array per task. An inherited enumerable key only makes the task go whole.
  let k = 0;
  for (const key in task) if (key !== TEMPLATE_TASK_KEYS[k++]) return false;
  return k === TEMPLATE_TASK_KEYS.length;
}

/** Whether two plain tasks have the same template: the fields of the template key, parts by identity. */
function sameTemplate(a: TaskNode, b: TaskNode): boolean {
  return (
    a.kind === b.kind &&
    a.trigger === b.trigger &&
    a.retry === b.retry &&
    a.timeoutMs === b.timeoutMs &&
    a.queue === b.queue &&
    a.pool === b.pool &&
    a.priority === b.priority &&
    a.cache === b.cache &&
    a.alerts === b.alerts &&
    a.codeHash === b.codeHash
  );
}

/** The task but its id and edges (made only for templates and tasks sent whole: a rest copy per task is slow). */
function withoutEdges(task: TaskNode): Template {
  const { id: _id, upstream: _upstream, after: _after, ...others } = task;
  return others;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
