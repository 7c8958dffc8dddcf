// compilePipeline: PipelineSpec (what the user wrote) → PipelineGraph (what the scheduler runs), or
// every problem found, each naming its task and option. Schedules are checked by time/validateSchedule.
// Tasks are compiled one at a time into the graph's compact form (wire-graph.ts) and its fingerprint:
// a 100k-task graph never holds 100k task objects in the worker, whose garbage collection was most of
// the time of loading such a file.
import type { PipelineSpec } from "../define/spec.js";
import { compileTask, notifierNames, resolveDefaults, SharedParts, type ResolvedDefaults } from "./compile-task.js";
import { GraphHasher } from "./fingerprint.js";
import { describeCycle, findCycles, orderOfPositions, UpstreamPositions } from "./graph-order.js";
import { resolveRunDeadline } from "./run-deadline.js";
import { DEFAULT_MAX_ACTIVE_RUNS, type GraphProblem, type PipelineGraph } from "./types.js";
import { sameList } from "./share-parts.js";
import { compiledGraph, packGraph, TaskTemplates, type RawTask } from "./wire-graph.js";
import { IntWriter, readInts } from "./wire-graph-lazy.js";
import { isValidTimeZone } from "./zoned-time.js";
import {
  booleanOption,
  cloneSchedule,
  optionalDuration,
  optionalString,
  positiveInteger,
  resolveBoundary,
  resolveEventSchema,
  resolveParams,
  resolveTags,
  type Report,
} from "./pipeline-options.js";

export { toJsonSchema } from "./pipeline-options.js";

export interface CompileResult {
  /** The graph, or null when there is any problem. */
  graph: PipelineGraph | null;
  problems: GraphProblem[];
}

type Header = Omit<PipelineGraph, "version" | "tasks" | "order">;

/**
 * Resolves defaults, converts durations, checks references, cycles, options and params, and computes
 * the topological order, code hashes and version. Never throws for bad input: it reports problems.
 */
export function compilePipeline(spec: PipelineSpec, file: string): CompileResult {
  const problems: GraphProblem[] = spec.problems.map((p) => ({ ...p }));
  const report: Report = (p) => problems.push(p);
  const options = spec.options ?? ({} as PipelineSpec["options"]);

  const timezone = options.timezone ?? "UTC";
  const timezoneOk = isValidTimeZone(timezone);
  if (!timezoneOk) {
    report({ code: "timezone_invalid", message: `timezone ${JSON.stringify(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin")` });
  }
  const defaults = resolveDefaults(options.defaults, report);
  // The pipeline's options come before the tasks in the fingerprint, and after them in the problems.
  const headerProblems: GraphProblem[] = [];
  const header = compileHeader(options, file, timezone, timezoneOk, (p) => headerProblems.push(p));
  const tasks = new CompiledTasks(defaults, report, new GraphHasher(header));
  for (const task of spec.tasks) tasks.add(task);
  problems.push(...headerProblems);

  const { ids, upstream, position } = tasks;
  // One map lookup per edge, for the checks, the order and the compact form alike.
  const edges = UpstreamPositions.of(upstream, position);
  for (let i = 0; i < ids.length; i++) {
    for (let k = edges.start[i] as number; k < (edges.start[i + 1] as number); k++) {
      const at = edges.at[k] as number;
      if (at !== i && at >= 0) continue;
      const id = ids[i] as string;
      if (at === i) report({ code: "task_depends_on_itself", message: `task ${id} depends on itself`, task: id });
      else report({ code: "dependency_unknown", message: `task ${id} needs "${(upstream[i] as string[])[k - (edges.start[i] as number)]}", which is not a task of this pipeline`, task: id });
    }
  }
  // A graph that orders has no cycle: the (slower) search for cycles runs only when it doesn't.
  const order = orderOfPositions(edges);
  if (order === null) {
    for (const cycle of findCycles(new Map(ids.map((id, i) => [id, upstream[i] as string[]])))) {
      report({ code: "pipeline_cycle", message: `tasks form a cycle: ${describeCycle(cycle)}`, task: cycle[0] as string });
    }
  }

  if (problems.length > 0) return { graph: null, problems };
  if (order === null) {
    // findCycles and the self-dependency check above should have said why; never hand out a bad graph.
    return { graph: null, problems: [{ code: "pipeline_cycle", message: "the tasks cannot be ordered: they form a cycle" }] };
  }
  return { graph: tasks.graph(header, edges, order), problems };
}

/** The pipeline-level part of the graph, its keys in the order the graph has them (tasks and order go after paramsSchema). */
function compileHeader(options: PipelineSpec["options"], file: string, timezone: string, timezoneOk: boolean, report: Report): Header {
  const header: Header = {
    id: String(options.id),
    file,
    description: optionalString(options.description, "description", report),
    schedule: cloneSchedule(options.schedule),
    timezone,
    start: resolveBoundary(options.start, "start", timezoneOk ? timezone : "UTC", report),
    end: resolveBoundary(options.end, "end", timezoneOk ? timezone : "UTC", report),
    catchup: booleanOption(options.catchup, false, "catchup", report),
    tags: resolveTags(options.tags, report),
    maxActiveRuns: positiveInteger(options.maxActiveRuns, "maxActiveRuns", report) ?? DEFAULT_MAX_ACTIVE_RUNS,
    maxActiveTasks: positiveInteger(options.maxActiveTasks, "maxActiveTasks", report),
    timeoutMs: optionalDuration(options.timeout, "timeout", report, true),
    alerts: {
      onFailure: notifierNames(options.onFailure, "onFailure", (message) => report({ code: "pipeline_option_invalid", message })),
      onSuccess: notifierNames(options.onSuccess, "onSuccess", (message) => report({ code: "pipeline_option_invalid", message })),
    },
    paramsSchema: resolveParams(options.params, report),
  };
  // Only when declared: the fingerprint of a pipeline without one stays what it was.
  const eventSchema = resolveEventSchema(options.event, report);
  if (eventSchema !== null) header.eventSchema = eventSchema;
  const deadline = resolveRunDeadline(options.deadline, report);
  if (deadline !== null) header.deadline = deadline;
  const { start, end } = header;
  if (start !== null && end !== null && Date.parse(end) < Date.parse(start)) {
    report({ code: "pipeline_option_invalid", message: `end ${end} is before start ${start}` });
  }
  return header;
}

/**
 * The tasks as they are compiled: ids, upstream lists (for the checks and the order), and each task as
 * the number of its template or whole (wire-graph.ts), written to the fingerprint and then dropped.
 */
class CompiledTasks {
  readonly ids: string[] = [];
  readonly upstream: string[][] = [];
  /** A task's `after` when it is not the same list as its upstream. */
  private readonly afters: (string[] | null)[] = [];
  readonly position = new Map<string, number>();
  private readonly entries: (number | RawTask)[] = [];
  private readonly templates = new TaskTemplates();
  private readonly shared = new SharedParts();

  constructor(
    private readonly defaults: ResolvedDefaults,
    private readonly report: Report,
    private readonly hasher: GraphHasher,
  ) {}

  add(spec: PipelineSpec["tasks"][number]): void {
    // A duplicate id is already a definition problem; the first definition stands.
    if (this.position.has(spec.id)) return;
    const node = compileTask(spec, this.defaults, this.report, this.shared);
    this.position.set(node.id, this.ids.length);
    this.ids.push(node.id);
    this.upstream.push(node.upstream);
    this.afters.push(sameList(node.after, node.upstream) ? null : node.after);
    this.entries.push(this.templates.entry(node));
    this.hasher.add(node);
  }

  /** The graph (its tasks made when first read), for tasks that passed every check. */
  graph(header: Header, upstream: UpstreamPositions, order: number[]): PipelineGraph {
    const n = this.ids.length;
    let size = 2 * n + upstream.at.length;
    for (const after of this.afters) if (after !== null) size += after.length;
    const edges = new IntWriter(size);
    for (let i = 0; i < n; i++) {
      const end = upstream.start[i + 1] as number;
      edges.push(end - (upstream.start[i] as number));
      for (let k = upstream.start[i] as number; k < end; k++) edges.push(upstream.at[k] as number);
      const after = this.afters[i];
      if (after === null || after === undefined) {
        edges.push(-1);
        continue;
      }
      edges.push(after.length);
      for (const id of after) edges.push(this.position.get(id) as number);
    }
    const keys = Object.keys(header);
    keys.splice(keys.indexOf("paramsSchema") + 1, 0, "tasks", "order");
    keys.push("version");
    const graph = { ...header, version: this.hasher.digest() };
    const templates = this.templates.templates;
    // Only a spec made by hand can have an id packGraph refuses (the builder checks ids): the earlier form.
    const packed = packGraph(graph, keys, this.ids, this.entries, templates, edges, order);
    return compiledGraph(packed ?? { format: "weir-graph/1", graph, keys, ids: this.ids, tasks: this.entries, templates, edges: Array.from(readInts(edges.text())), order });
  }
}
