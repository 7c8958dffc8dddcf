// The compact form of a graph, as written (weir-graph/2) and as earlier versions stored it (weir-graph/1):
// wire-graph.ts writes and reads it, wire-graph-lazy.ts makes a graph's tasks from it.
import type { PipelineGraph, TaskNode } from "./types.js";

/** The format written; `weir-graph/1` (positions as JSON arrays, stored by earlier versions) is still read. */
export const WIRE_GRAPH_FORMAT = "weir-graph/2";

/** A task alike others but for id and edges: everything else, shared. */
export type Template = Omit<TaskNode, "id" | "upstream" | "after">;

/** A task sent whole (options of its own): everything but its id and edges. */
export interface RawTask {
  raw: Omit<TaskNode, "id" | "upstream" | "after">;
}

interface WireCommon {
  /** The graph without `tasks` and `order`. */
  graph: Omit<PipelineGraph, "tasks" | "order">;
  /** The graph's keys in their order (`tasks` and `order` included), so its JSON is the same text. */
  keys: string[];
  templates: Template[];
}

/** The form written: lists of numbers as IntWriter text (wire-graph-lazy.ts). */
export interface WireGraph2 extends WireCommon {
  format: "weir-graph/2";
  /** The ids joined by line breaks (ids have none). */
  ids: string;
  /** Per task: the number of its template, or -1 - k for the task written whole as `raws[k]`. */
  tasks: string;
  raws: RawTask[];
  /**
   * Per task: the count of upstream positions and the positions; then -1 when `after` is the same list,
   * else the count of `after` positions and the positions.
   */
  edges: string;
  /** The order, as positions. */
  order: string;
}

/** The earlier form: the same lists as JSON. */
export interface WireGraph1 extends WireCommon {
  format: "weir-graph/1";
  ids: string[];
  /** Per task: the number of its template, or the task itself. */
  tasks: (number | RawTask)[];
  edges: number[];
  order: number[];
}

export type WireGraph = WireGraph2 | WireGraph1;
