// A graph's compact form for the trip from the worker that compiled it to the scheduler (IPC), and as the
// store keeps it. A graph is mostly tasks alike but for their id and edges: 100k tasks are ~50 MB of JSON,
// seconds to write, send and parse. Here ids are written once (one string), edges and the order as
// positions (base64 of 4-byte numbers: one string to parse, not ~700k numbers), and tasks that differ only
// in id and edges as the number of a shared template; the decoded graph equals the original (the same JSON,
// keys in the same order) and its tasks share those templates' parts, as shareEqualParts would make them.
// wire-graph-lazy.ts makes the tasks of a decoded graph when they are first read.
import { markShared, sameList } from "./share-parts.js";
import type { PipelineGraph, TaskNode } from "./types.js";
import { WIRE_GRAPH_FORMAT, type RawTask, type Template, type WireGraph, type WireGraph2 } from "./wire-form.js";
import { IntWriter, lazyGraph } from "./wire-graph-lazy.js";

export { WIRE_GRAPH_FORMAT } from "./wire-form.js";
export type { RawTask, Template, WireGraph, WireGraph1, WireGraph2 } from "./wire-form.js";

/** The keys of a task that a template stands for, in the order the compiler writes them (decodeGraph too). */
const TEMPLATE_TASK_KEYS = ["id", "kind", "upstream", "needs", "after", "map", "trigger", "retry", "timeoutMs", "queue", "pool", "priority", "cache", "description", "command", "codeHash", "alerts"];

/**
 * Tasks as template numbers or whole, one at a time (encodeGraph, and the compiler as it compiles). Alike
 * tasks come in runs (a generated layer, a fan-out's leaves): the previous plain task's template is tried
 * first, field by field, before a key is built (a string per task, 100k of them, showed).
 */
export class TaskTemplates {
  readonly templates: Template[] = [];
  private readonly templateOf = new Map<string, number>();
  // Shared parts (the compiler makes equal retry policies, caches and alerts one object) are keyed by
  // identity; a task with parts of its own gets a template of its own, which is still exact.
  private readonly partIds = new Map<object, number>();
  private previous: TaskNode | null = null;
  private previousTemplate = -1;

  /** The number of the task's template, or the task whole but its id and edges. */
  entry(task: TaskNode): number | RawTask {
    if (!isPlain(task)) return { raw: withoutEdges(task) };
    if (this.previous !== null && sameTemplate(task, this.previous)) {
      this.previous = task;
      return this.previousTemplate;
    }
    const key =
      `${task.kind}|${task.trigger}|${this.part(task.retry)}|${task.timeoutMs}|${task.queue}|${task.pool}|${task.priority}|` +
      `${this.part(task.cache)}|${this.part(task.alerts)}|${task.codeHash}`;
    let template = this.templateOf.get(key);
    if (template === undefined) {
      template = this.templates.length;
      this.templates.push(withoutEdges(task));
      this.templateOf.set(key, template);
    }
    this.previous = task;
    this.previousTemplate = template;
    return template;
  }

  private part(value: object): number {
    let id = this.partIds.get(value);
    if (id === undefined) {
      id = this.partIds.size;
      this.partIds.set(value, id);
    }
    return id;
  }
}

/**
 * The compact form, or the graph itself when it can't be written compactly and exactly (an edge to an
 * id that is not a task, an order that is not the tasks, an id with a line break). Never throws for a
 * compiled graph.
 */
export function encodeGraph(graph: PipelineGraph): WireGraph | PipelineGraph {
  const compiled = compiledForms.get(graph);
  if (compiled !== undefined) return compiled;
  const { tasks, order, ...rest } = graph;
  const position = new Map<string, number>();
  const ids: string[] = new Array<string>(tasks.length);
  // Room for both edge lists written out: a bound (an `after` equal to upstream is written as one number,
  // and text() writes only what was pushed), so each task's lists are compared once, below.
  let size = 0;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as TaskNode;
    if (position.has(task.id)) return graph;
    position.set(task.id, i);
    ids[i] = task.id;
    size += 2 + task.upstream.length + task.after.length;
  }
  const edges = new IntWriter(size);
  const pushPositions = (list: readonly string[]): boolean => {
    edges.push(list.length);
    for (const id of list) {
      const at = position.get(id);
      if (at === undefined) return false;
      edges.push(at);
    }
    return true;
  };
  const templates = new TaskTemplates();
  const entries = new Array<number | RawTask>(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as TaskNode;
    if (!pushPositions(task.upstream)) return graph;
    if (sameList(task.after, task.upstream)) edges.push(-1);
    else if (!pushPositions(task.after)) return graph;
    entries[i] = templates.entry(task);
  }
  const orderPositions = new Array<number>(order.length);
  for (let i = 0; i < order.length; i++) {
    const at = position.get(order[i] as string);
    if (at === undefined) return graph;
    orderPositions[i] = at;
  }
  return packGraph(rest, Object.keys(graph), ids, entries, templates.templates, edges, orderPositions) ?? graph;
}

/**
 * The compact form from its lists (encodeGraph's and the compiler's), or null when an id can't be one line
 * of `ids` (compiled ids are never empty and have no line break).
 */
export function packGraph(
  graph: WireGraph2["graph"],
  keys: string[],
  ids: readonly string[],
  entries: readonly (number | RawTask)[],
  templates: Template[],
  edges: IntWriter,
  order: readonly number[],
): WireGraph2 | null {
  for (const id of ids) if (id === "" || id.includes("\n")) return null;
  const raws: RawTask[] = [];
  const tasks = new IntWriter(entries.length);
  for (const entry of entries) tasks.push(typeof entry === "number" ? entry : -1 - (raws.push(entry) - 1));
  const positions = new IntWriter(order.length);
  for (const at of order) positions.push(at);
  return { format: WIRE_GRAPH_FORMAT, graph, keys, ids: ids.join("\n"), tasks: tasks.text(), raws, templates, edges: edges.text(), order: positions.text() };
}

/**
 * Graphs the compiler made from their compact form (compiledGraph): encodeGraph returns that form, as
 * often as it is asked (a worker answers every load of the file with it).
 */
const compiledForms = new WeakMap<PipelineGraph, WireGraph>();

/**
 * The compiler's graph: its tasks and order are made from the compact form the first time they are read
 * (a worker sends the compact form and reads its own tasks only for a branch's downstream or an old run).
 */
export function compiledGraph(value: WireGraph): PipelineGraph {
  const graph = lazyGraph(value);
  compiledForms.set(graph, value);
  return graph;
}

/** A compiled graph with another version (the module's, see load-pipeline-file), its tasks still not made. */
export function withVersion(graph: PipelineGraph, version: string): PipelineGraph {
  const compiled = compiledForms.get(graph);
  if (compiled === undefined) return { ...graph, version };
  return compiledGraph({ ...compiled, graph: { ...compiled.graph, version } });
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
  const graph = lazyGraph(value);
  // Tasks of one template share its parts; ids are one string each (the `ids` list).
  markShared(graph);
  if (keepSource) sources.set(graph, value);
  return graph;
}

export function isWireGraph(value: unknown): value is WireGraph {
  if (typeof value !== "object" || value === null) return false;
  const format = (value as { format?: unknown }).format;
  return format === WIRE_GRAPH_FORMAT || format === "weir-graph/1";
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

/**
 * Whether two plain tasks have the same template: the fields of the template key, parts by identity. The
 * fingerprint's sameTail builds on it, so it must keep comparing every field of a template.
 */
export function sameTemplate(a: TaskNode, b: TaskNode): boolean {
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
