// /runs: the list with filters and cursor pages, one run, and what changes a run: trigger (params checked
// in a worker by the pipeline's schema; nothing written on bad params), cancel, clear; and its Gantt chart.
import type { Context } from "hono";
import { isTerminalTaskState, RUN_STATES, type RunState } from "../../engine/states.js";
import { instanceKey } from "../../engine/types.js";
import { cancelRun, clearRun, triggerRun } from "../../scheduler/commands/index.js";
import { requireRun } from "../../scheduler/commands/context.js";
import type { RunCursor, RunRecord } from "../../store/types.js";
import type { ApiContext, RouteSpec } from "../api-context.js";
import { badRequest, invalidValue } from "../errors.js";
import { decodeCursor, encodeCursor, oneOf, optionalBoolean, optionalObject, optionalString, optionalStringArray, queryInteger, readBody } from "../input.js";
import type { ClearResponse, GanttView, Page, RunDetail, RunSummary } from "../types.js";
import { countsByTask, iso, runSummary } from "../views.js";
import { requirePipelineExists } from "./pipelines.js";

/** Tries drawn in one Gantt chart. */
const GANTT_MAX_TRIES = 5000;

export async function runDetail(api: ApiContext, run: RunRecord): Promise<RunDetail> {
  const graph = await api.graphOf(run.pipelineId, run.version);
  return { ...runSummary(run), version: run.version, params: run.params, taskCounts: countsByTask(await api.store.reads.instanceCounts(run.id)), order: graph?.order ?? [] };
}

function isRunCursor(value: unknown): value is { c: number; l: number; i: string } {
  const v = value as { c?: unknown; l?: unknown; i?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.c === "number" && typeof v.l === "number" && typeof v.i === "string";
}

/** A logical-date bound: an ISO date (a `to` date covers its whole day, UTC) or timestamp. */
function dateBound(c: Context, key: "from" | "to"): number | undefined {
  const text = c.req.query(key);
  if (text === undefined || text === "") return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw invalidValue(`query ${key} must be an ISO date or timestamp, got "${text}"`, key);
  return key === "to" && /^\d{4}-\d{2}-\d{2}$/.test(text) ? ms + 86_400_000 - 1 : ms;
}

async function list(c: Context, api: ApiContext): Promise<Response> {
  const pipelineId = c.req.query("pipeline") || undefined;
  if (pipelineId !== undefined) await requirePipelineExists(api, pipelineId);
  const states = (c.req.queries("state") ?? []).flatMap((s) => s.split(",")).filter((s) => s !== "");
  for (const state of states) oneOf(state, "state", RUN_STATES);
  const limit = queryInteger(c, "limit", { min: 1, max: 500 }) ?? 50;
  const cursor = decodeCursor(c.req.query("cursor"), isRunCursor);
  const before: RunCursor | undefined = cursor && { createdMs: cursor.c, logicalDateMs: cursor.l, id: cursor.i };
  const from = dateBound(c, "from");
  const to = dateBound(c, "to");
  const rows = await api.store.listRuns({
    ...(pipelineId ? { pipelineId } : {}),
    states: states as RunState[],
    ...(c.req.query("backfill") ? { backfillId: c.req.query("backfill") as string } : {}),
    ...(from !== undefined ? { logicalDateFromMs: from } : {}),
    ...(to !== undefined ? { logicalDateToMs: to } : {}),
    ...(before ? { before } : {}),
    limit: limit + 1,
  });
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const page: Page<RunSummary> = { items: items.map(runSummary), next: rows.length > limit && last ? encodeCursor({ c: last.createdMs, l: last.logicalDateMs, i: last.id }) : null };
  return c.json(page);
}

async function trigger(c: Context, api: ApiContext): Promise<Response> {
  const pipelineId = c.req.param("id") as string;
  const body = await readBody(c, ["params", "logicalDate", "rawParams"]);
  const params = optionalObject(body, "params");
  const rawParams = optionalObject(body, "rawParams");
  for (const [name, value] of Object.entries(rawParams ?? {})) if (typeof value !== "string") throw badRequest(`rawParams.${name} must be a string`, name);
  const logicalDate = optionalString(body, "logicalDate");
  await requirePipelineExists(api, pipelineId);
  const { run } = await triggerRun(api.commands, api.workers, {
    pipelineId,
    ...(params ? { params } : {}),
    ...(rawParams ? { rawParams: rawParams as Record<string, string> } : {}),
    logicalDate,
  });
  return c.json(await runDetail(api, run), 201);
}

async function clear(c: Context, api: ApiContext): Promise<Response> {
  const runId = c.req.param("id") as string;
  const body = await readBody(c, ["tasks", "downstream", "failedOnly"]);
  const tasks = optionalStringArray(body, "tasks");
  const downstream = optionalBoolean(body, "downstream");
  const failedOnly = optionalBoolean(body, "failedOnly");
  const result = await clearRun(api.commands, runId, { ...(tasks ? { tasks } : {}), ...(downstream ? { downstream } : {}), ...(failedOnly ? { failedOnly } : {}) });
  const after = new Map((await api.store.listTaskInstances(runId)).map((i) => [instanceKey(i.taskId, i.mapIndex), i]));
  const response: ClearResponse = {
    run: await runDetail(api, result.run),
    cleared: result.cleared.map((i) => {
      const to = after.get(instanceKey(i.taskId, i.mapIndex))?.state ?? "pending";
      return { taskId: i.taskId, mapIndex: i.mapIndex, from: i.state, to, nextTry: isTerminalTaskState(to) ? null : i.tryNumber + 1 };
    }),
    inFlight: result.inFlight.map((i) => ({ taskId: i.taskId, mapIndex: i.mapIndex, state: i.state })),
    takenOverBy: result.takenOverBy,
  };
  return c.json(response);
}

async function gantt(c: Context, api: ApiContext): Promise<Response> {
  const run = await requireRun(api.store, c.req.param("id") as string);
  const rows = await api.store.reads.runTryTimes(run.id, GANTT_MAX_TRIES + 1);
  const view: GanttView = {
    runId: run.id,
    startedAt: iso(run.startedMs),
    endedAt: iso(run.endedMs),
    tries: rows.slice(0, GANTT_MAX_TRIES).map((t) => ({ taskId: t.taskId, mapIndex: t.mapIndex, tryNumber: t.tryNumber, state: t.state, queuedAt: new Date(t.queuedMs).toISOString(), startedAt: iso(t.startedMs), endedAt: iso(t.endedMs) })),
    truncated: rows.length > GANTT_MAX_TRIES,
  };
  return c.json(view);
}

export const runRoutes: RouteSpec[] = [
  {
    method: "get",
    path: "/runs",
    tag: "runs",
    summary: "Runs, newest first, filtered; one page at a time (follow `next`)",
    query: [
      { name: "pipeline", type: "string", description: "only this pipeline's runs" },
      { name: "state", type: "string", description: "only runs in this state (repeatable, or comma-separated)", repeatable: true },
      { name: "backfill", type: "string", description: "only this backfill's runs" },
      { name: "from", type: "string", description: "logical date at or after (ISO date or timestamp)" },
      { name: "to", type: "string", description: "logical date at or before (an ISO date covers its whole day, UTC)" },
      { name: "limit", type: "integer", description: "page size (1–500, default 50)" },
      { name: "cursor", type: "string", description: "`next` of the previous page" },
    ],
    response: "RunPage",
    handler: list,
  },
  { method: "get", path: "/runs/:id", tag: "runs", summary: "One run with its params and its instances counted by task and state", response: "RunDetail", handler: async (c, api) => c.json(await runDetail(api, await requireRun(api.store, c.req.param("id") as string))) },
  { method: "post", path: "/pipelines/:id/runs", tag: "runs", summary: "Trigger a manual run; params are validated by the pipeline's schema (in a worker) before anything is written", body: "TriggerRequest", response: "RunDetail", status: 201, handler: trigger },
  { method: "post", path: "/runs/:id/cancel", tag: "runs", summary: "Cancel a queued or running run: running tries are stopped, unfinished instances canceled", response: "RunDetail", handler: async (c, api) => c.json(await runDetail(api, await cancelRun(api.commands, c.req.param("id") as string))) },
  { method: "post", path: "/runs/:id/clear", tag: "runs", summary: "Run ended task instances again (all, the named tasks, their downstream, or only failed ones)", body: "ClearRequest", response: "ClearResponse", handler: clear },
  { method: "get", path: "/runs/:id/gantt", tag: "runs", summary: "Every try of the run with its queued, start and end times (at most 5,000)", response: "GanttView", handler: gantt },
];

