// The receiving side of a graph's compact form (wire-graph.ts): a graph whose `tasks` and `order` are made
// from the compact form when first read, and the two ways lists of numbers are written in it. JSON.parse of
// a 100k-task graph's positions as JSON arrays (~700k numbers) was most of receiving it; as base64 text they
// are one string to parse, read when the tasks are.
import type { PipelineGraph, TaskNode } from "./types.js";
import type { RawTask, Template, WireGraph } from "./wire-form.js";

/** Whole numbers written 4 bytes each (little-endian, whatever the machine), for `weir-graph/2`. */
export class IntWriter {
  private readonly view: DataView;
  private at = 0;

  /** `count`: at least as many numbers as will be pushed (text() writes only those). */
  constructor(count: number) {
    this.view = new DataView(new ArrayBuffer(count * 4));
  }

  push(value: number): void {
    this.view.setInt32(this.at, value, true);
    this.at += 4;
  }

  /** The numbers as base64 text (Node's Buffer: a few ms for megabytes). */
  text(): string {
    return Buffer.from(this.view.buffer, 0, this.at).toString("base64");
  }
}

/** IntWriter's text back to numbers. */
export function readInts(text: string): Int32Array {
  const bytes = Buffer.from(text, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ints = new Int32Array(bytes.byteLength >> 2);
  for (let i = 0; i < ints.length; i++) ints[i] = view.getInt32(i * 4, true);
  return ints;
}

/**
 * The graph of a compact form, with `tasks` and `order` made when first read (then plain data properties;
 * assigning one before works too). Keys in the order of `keys`, so the graph's JSON is the original's text.
 */
export function lazyGraph(value: WireGraph): PipelineGraph {
  const rest = value.graph as Record<string, unknown>;
  const graph: Record<string, unknown> = {};
  let made: { tasks: TaskNode[]; order: string[] } | null = null;
  const settle = (key: "tasks" | "order", content: unknown): void => {
    Object.defineProperty(graph, key, { value: content, writable: true, enumerable: true, configurable: true });
  };
  const read = (key: "tasks" | "order"): unknown => {
    made ??= decodeTasks(value);
    // Both become data at once; one that was assigned meanwhile keeps what was assigned. A frozen graph
    // keeps its accessors, which give the same lists every time.
    for (const other of ["tasks", "order"] as const) {
      const property = Object.getOwnPropertyDescriptor(graph, other);
      if (property?.get !== undefined && property.configurable === true) settle(other, made[other]);
    }
    const property = Object.getOwnPropertyDescriptor(graph, key);
    return property !== undefined && "value" in property ? property.value : made[key];
  };
  for (const key of value.keys) {
    if (key === "tasks" || key === "order") {
      Object.defineProperty(graph, key, { get: () => read(key), set: (content: unknown) => settle(key, content), enumerable: true, configurable: true });
    } else {
      graph[key] = rest[key];
    }
  }
  return graph as unknown as PipelineGraph;
}

/** The lists of either format: entries ≥ 0 are template numbers, -1 - k is `raws[k]`. */
interface Lists {
  ids: readonly string[];
  entries: ArrayLike<number>;
  raws: readonly RawTask[];
  edges: ArrayLike<number>;
  order: ArrayLike<number>;
}

function listsOf(value: WireGraph): Lists {
  if (value.format === "weir-graph/2") {
    return { ids: value.ids === "" ? [] : value.ids.split("\n"), entries: readInts(value.tasks), raws: value.raws, edges: readInts(value.edges), order: readInts(value.order) };
  }
  const raws: RawTask[] = [];
  const entries = value.tasks.map((entry) => (typeof entry === "number" ? entry : -1 - (raws.push(entry) - 1)));
  return { ids: value.ids, entries, raws, edges: value.edges, order: value.order };
}

function decodeTasks(value: WireGraph): { tasks: TaskNode[]; order: string[] } {
  const { ids, entries, raws, edges, order } = listsOf(value);
  const templates = value.templates;
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
    const entry = entries[i] as number;
    const id = ids[i] as string;
    if (entry >= 0) {
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
      const raw = (raws[-1 - entry] as RawTask).raw;
      tasks[i] = Object.assign({ id, kind: raw.kind, upstream, needs: raw.needs, after }, raw);
    }
  }
  const names = new Array<string>(order.length);
  for (let i = 0; i < order.length; i++) names[i] = ids[order[i] as number] as string;
  return { tasks, order: names };
}
