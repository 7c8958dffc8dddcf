// The static shape of a pipeline as `weir graph` and `weir validate` print it: tasks in topological order
// with their upstreams, and where the graph takes its shape from data at run time (mapped tasks, branches).
import type { PipelineGraph, TaskNode } from "../../graph/types.js";

export interface MappedTaskView {
  task: string;
  /** "item", "zip" or "product". */
  mode: string;
  /** Name → upstream task id it maps over. */
  over: Record<string, string>;
  /** Mapped upstreams it pairs with: its instance i waits only for their instance i (or coordinate, for product). */
  pairedWith: string[];
  maxParallel: number | null;
  /** When and into what it expands, in words. */
  expands: string;
}

export interface GraphTaskView {
  id: string;
  kind: string;
  upstream: string[];
  downstream: string[];
  trigger: string;
  mapped: MappedTaskView | null;
  /** For a branch: "choose" or "short_circuit", with the direct downstream it picks among. */
  branch: { mode: string; among: string[] } | null;
  /** Mapped upstreams whose results it receives as arrays (map-index order). */
  collects: string[];
}

export interface GraphView {
  pipeline: string;
  file: string;
  version: string;
  schedule: unknown;
  tasks: GraphTaskView[];
}

const mappingOf = (task: TaskNode | undefined): { mode: string; over: Record<string, string>; maxParallel: number | null } | null =>
  task === undefined ? null : (task.mapping ?? (task.map ? { mode: "item", over: { item: task.map }, maxParallel: null } : null));

export function graphView(graph: PipelineGraph): GraphView {
  const byId = new Map(graph.tasks.map((t) => [t.id, t]));
  const downstream = new Map<string, string[]>(graph.order.map((id) => [id, []]));
  for (const id of graph.order) for (const up of byId.get(id)?.upstream ?? []) downstream.get(up)?.push(id);
  const tasks = graph.order.flatMap((id): GraphTaskView[] => {
    const task = byId.get(id);
    if (!task) return [];
    const mapping = mappingOf(task);
    const sources = mapping === null ? [] : Object.values(mapping.over);
    const paired = sources.filter((s) => mappingOf(byId.get(s)) !== null);
    const collects = Object.values(task.needs).filter((up) => !sources.includes(up) && mappingOf(byId.get(up)) !== null);
    return [
      {
        id,
        kind: task.kind,
        upstream: [...task.upstream],
        downstream: downstream.get(id) ?? [],
        trigger: task.trigger,
        mapped: mapping === null ? null : { task: id, mode: mapping.mode, over: { ...mapping.over }, pairedWith: paired, maxParallel: mapping.maxParallel, expands: describeExpansion(mapping.mode, mapping.over, paired) },
        branch: task.kind === "branch" ? { mode: task.branch ?? "choose", among: downstream.get(id) ?? [] } : null,
        collects: [...new Set(collects)],
      },
    ];
  });
  return { pipeline: graph.id, file: graph.file, version: graph.version, schedule: graph.schedule, tasks };
}

function describeExpansion(mode: string, over: Record<string, string>, paired: readonly string[]): string {
  const sources = Object.values(over);
  const what = (s: string): string => (paired.includes(s) ? `the instances of ${s}` : `${s}'s output`);
  if (mode === "item" && paired.length > 0) return `at run time: one instance per instance of ${sources[0] ?? ""}`;
  if (mode === "item") return `at run time: one instance per element of ${what(sources[0] ?? "")}`;
  if (mode === "product") return `at run time: one instance per combination of ${sources.map(what).join(" × ")}`;
  return `at run time: one instance per index of ${sources.map(what).join(", ")} zipped (same lengths)`;
}

/** One line per task, e.g. `train  ⇉ mapped over validate (one instance per element, at run time)  ← validate, features`. */
export function formatGraph(view: GraphView): string[] {
  const lines = [`${view.pipeline} (${view.tasks.length} task${view.tasks.length === 1 ? "" : "s"}, version ${view.version})`];
  const width = Math.min(28, Math.max(...view.tasks.map((t) => t.id.length + (t.mapped ? 4 : 0)), 4));
  for (const t of view.tasks) {
    const name = t.mapped ? `${t.id}[*]` : t.id;
    const notes: string[] = [];
    if (t.upstream.length > 0) notes.push(`← ${t.upstream.join(", ")}`);
    if (t.trigger !== "all_success") notes.push(`trigger ${t.trigger}`);
    if (t.mapped) {
      notes.push(`⇉ mapped ${t.mapped.expands}${t.mapped.pairedWith.length > 0 ? `; instance i waits only for ${t.mapped.pairedWith.map((s) => `${s}[i]`).join(", ")}` : ""}${t.mapped.maxParallel !== null ? `; at most ${t.mapped.maxParallel} at once` : ""}`);
    }
    if (t.collects.length > 0) notes.push(`receives the results of ${t.collects.map((c) => `${c}[*]`).join(", ")} as arrays`);
    if (t.branch) notes.push(t.branch.mode === "short_circuit" ? `short-circuit: false skips everything downstream` : `branch: follows some of ${t.branch.among.join(", ") || "(none)"}, skips the others`);
    lines.push(`  ${name.padEnd(width)}  ${notes.join("  ")}`.trimEnd());
  }
  return lines;
}

/** For `weir validate`: `train over validate, evaluate over train` (empty when nothing is mapped). */
export function describeMapped(graph: PipelineGraph): { task: string; over: string[] }[] {
  return graph.tasks.flatMap((t) => {
    const mapping = mappingOf(t);
    return mapping === null ? [] : [{ task: t.id, over: Object.values(mapping.over) }];
  });
}
