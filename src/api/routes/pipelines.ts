// /pipelines: the list (with load errors of broken files), one pipeline, pause/unpause, its graph and grid.
import type { Context } from "hono";
import { WeirError } from "../../common/errors.js";
import type { PipelineRecord } from "../../store/types.js";
import { setPipelinePaused } from "../../scheduler/commands/index.js";
import type { ApiContext, RouteSpec } from "../api-context.js";
import { badRequest } from "../errors.js";
import { COMPACT_AT, collapseGraph, countsByNode } from "../graph-collapse.js";
import { queryInteger } from "../input.js";
import type { GraphView, GridView, PipelineDetail, PipelineList } from "../types.js";
import { countsByTask, pipelineSummary, runSummary, summaryState, taskNodeView } from "../views.js";

export async function requirePipeline(api: ApiContext, id: string): Promise<PipelineRecord> {
  const pipeline = await api.pipelineOf(id);
  if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${id}"`, { where: { pipeline: id } });
  return pipeline;
}

/** 404 for an unknown pipeline, without reading its graph. */
export async function requirePipelineExists(api: ApiContext, id: string): Promise<void> {
  if (!(await api.store.reads.pipelineHead(id))) throw new WeirError("pipeline_not_found", `no pipeline "${id}"`, { where: { pipeline: id } });
}

async function list(c: Context, api: ApiContext): Promise<Response> {
  const nowMs = api.nowMs();
  const records = await api.pipelines();
  const pipelines = await Promise.all(records.map(async (p) => pipelineSummary(p, await api.store.listRuns({ pipelineId: p.id, limit: 10 }), nowMs)));
  const loadErrors = (api.scheduler?.registry.problems() ?? []).map((p) => ({ file: p.file, message: p.message, ...(p.task ? { task: p.task } : {}) }));
  const body: PipelineList = { pipelines, loadErrors };
  return c.json(body);
}

/** `?full=1`: everything, however large (default: compact above COMPACT_AT tasks). */
function wantsFull(c: Context): boolean {
  const value = c.req.query("full");
  if (value === undefined || value === "" || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw badRequest(`full must be 1 or 0, got "${value}"`, "full");
}

async function detail(api: ApiContext, id: string, full = false): Promise<PipelineDetail> {
  const record = await requirePipeline(api, id);
  const graph = record.graph;
  // A prefix of the topological order: each listed task's upstream tasks are listed too.
  const truncated = !full && graph.order.length > COMPACT_AT;
  const order = truncated ? graph.order.slice(0, COMPACT_AT) : graph.order;
  const byId = new Map(graph.tasks.map((t) => [t.id, t]));
  return {
    ...pipelineSummary(record, await api.store.listRuns({ pipelineId: id, limit: 10 }), api.nowMs()),
    paramsSchema: graph.paramsSchema,
    maxActiveRuns: graph.maxActiveRuns,
    maxActiveTasks: graph.maxActiveTasks,
    start: graph.start,
    end: graph.end,
    catchup: graph.catchup,
    tasks: (truncated ? order.map((t) => byId.get(t)).filter((t) => t !== undefined) : graph.tasks).map(taskNodeView),
    order,
    taskCount: graph.order.length,
    tasksTruncated: truncated,
  };
}

function pause(paused: boolean) {
  return async (c: Context, api: ApiContext): Promise<Response> => {
    const id = c.req.param("id") as string;
    await setPipelinePaused(api.commands, id, paused);
    return c.json(await detail(api, id));
  };
}

async function graphView(c: Context, api: ApiContext): Promise<Response> {
  const record = await requirePipeline(api, c.req.param("id") as string);
  const runId = c.req.query("run");
  const full = wantsFull(c);
  let graph = record.graph;
  let counts: GraphView["counts"] = {};
  if (runId !== undefined && runId !== "") {
    const run = await api.store.getRun(runId);
    if (!run || run.pipelineId !== record.id) throw new WeirError("run_not_found", `pipeline ${record.id} has no run "${runId}"`, { where: { run: runId } });
    // The run's own version: the graph it ran, even if the file changed since.
    graph = (await api.graphOf(run.pipelineId, run.version)) ?? graph;
    counts = countsByTask(await api.store.reads.instanceCounts(run.id));
  }
  if (!full && graph.order.length > COMPACT_AT) {
    const collapsed = collapseGraph(graph);
    const compact: GraphView = {
      pipeline: record.id,
      version: graph.version,
      tasks: collapsed.tasks,
      edges: collapsed.edges,
      order: collapsed.order,
      runId: runId || null,
      counts: countsByNode(counts, collapsed.nodeOf),
      collapsed: true,
      taskCount: graph.order.length,
      groups: collapsed.groups,
    };
    return c.json(compact);
  }
  const body: GraphView = {
    pipeline: record.id,
    version: graph.version,
    tasks: graph.tasks.map(taskNodeView),
    edges: graph.tasks.flatMap((t) => t.upstream.map((from) => ({ from, to: t.id }))),
    order: graph.order,
    runId: runId || null,
    counts,
    collapsed: false,
    taskCount: graph.order.length,
  };
  return c.json(body);
}

async function grid(c: Context, api: ApiContext): Promise<Response> {
  const record = await requirePipeline(api, c.req.param("id") as string);
  const limit = queryInteger(c, "limit", { min: 1, max: 200 }) ?? 25;
  const runs = await api.store.listRuns({ pipelineId: record.id, limit });
  // Tasks of the latest version first, then those only older runs have.
  const tasks = [...record.graph.order];
  const known = new Set(tasks);
  const counts = await api.store.reads.instanceCountsOfRuns(runs.map((r) => r.id));
  for (const rows of counts.values()) {
    for (const row of rows) {
      if (known.has(row.taskId)) continue;
      known.add(row.taskId);
      tasks.push(row.taskId);
    }
  }
  const cells = runs.map((run) => {
    const byTask = countsByTask(counts.get(run.id) ?? []);
    return tasks.map((task) => summaryState(byTask[task]));
  });
  const body: GridView = { runs: runs.map(runSummary), tasks, cells };
  return c.json(body);
}

export const pipelineRoutes: RouteSpec[] = [
  { method: "get", path: "/pipelines", tag: "pipelines", summary: "Every pipeline with its schedule in words, next run, latest runs, and the load errors of broken files", response: "PipelineList", handler: list },
  {
    method: "get",
    path: "/pipelines/:id",
    tag: "pipelines",
    summary: `One pipeline: its tasks (the first ${COMPACT_AT} in topological order when it has more, unless ?full=1), params schema and settings`,
    query: [{ name: "full", type: "string", description: `1: every task, however many (default: at most ${COMPACT_AT})` }],
    response: "PipelineDetail",
    handler: async (c, api) => c.json(await detail(api, c.req.param("id") as string, wantsFull(c))),
  },
  { method: "post", path: "/pipelines/:id/pause", tag: "pipelines", summary: "Stop scheduling the pipeline", response: "PipelineDetail", handler: pause(true) },
  { method: "post", path: "/pipelines/:id/unpause", tag: "pipelines", summary: "Resume scheduling the pipeline (missed intervals follow its catchup)", response: "PipelineDetail", handler: pause(false) },
  {
    method: "get",
    path: "/pipelines/:id/graph",
    tag: "pipelines",
    summary: `The DAG (a mapped task is one node; above ${COMPACT_AT} tasks, collapsed: siblings with the same neighbours are one node, unless ?full=1); with ?run=ID, that run's version and its instance counts per node`,
    query: [
      { name: "run", type: "string", description: "a run of this pipeline whose states colour the nodes" },
      { name: "full", type: "string", description: "1: every task as its own node, however many" },
    ],
    response: "GraphView",
    handler: graphView,
  },
  {
    method: "get",
    path: "/pipelines/:id/grid",
    tag: "pipelines",
    summary: "Runs × tasks: the state of each task in each of the latest runs",
    query: [{ name: "limit", type: "integer", description: "how many runs, newest first (1–200, default 25)" }],
    response: "GridView",
    handler: grid,
  },
];
