// /backfills: create one (or preview it with dryRun, writing nothing), list them, cancel one.
import type { Context } from "hono";
import { cancelBackfill, createBackfill } from "../../scheduler/commands/index.js";
import type { BackfillRecord } from "../../store/types.js";
import { REPROCESS_MODES, type BackfillAction } from "../../time/index.js";
import type { ApiContext, RouteSpec } from "../api-context.js";
import { oneOf, optionalBoolean, optionalInteger, optionalString, readBody, requiredString } from "../input.js";
import type { BackfillIntervalPreview, BackfillList, BackfillResponse, BackfillView } from "../types.js";
import { backfillView } from "../views.js";
import { requirePipelineExists } from "./pipelines.js";

const BACKFILL_STATES = ["running", "success", "failed", "canceled"] as const;

const ACTION: Record<BackfillAction, BackfillIntervalPreview["action"]> = {
  create: "create",
  rerun: "rerun",
  rerun_failed: "rerun",
  skip_success: "skip",
  skip_failed: "skip",
  skip_running: "skip",
};

async function views(api: ApiContext, backfills: readonly BackfillRecord[]): Promise<BackfillView[]> {
  const counts = await api.store.reads.backfillRunCounts(backfills.map((b) => b.id));
  return backfills.map((b) => backfillView(b, counts.get(b.id)));
}

async function create(c: Context, api: ApiContext): Promise<Response> {
  const body = await readBody(c, ["pipeline", "from", "to", "concurrency", "reprocess", "dryRun"]);
  const pipelineId = requiredString(body, "pipeline");
  const from = requiredString(body, "from");
  const to = requiredString(body, "to");
  const concurrency = optionalInteger(body, "concurrency", 1);
  const reprocess = oneOf(optionalString(body, "reprocess"), "reprocess", REPROCESS_MODES) ?? "none";
  const dryRun = optionalBoolean(body, "dryRun") ?? false;
  const result = await createBackfill(api.commands, { pipelineId, from, to, concurrency: concurrency ?? null, reprocess, dryRun });
  // The run that decided each interval's action (the planner matches by exact logical date).
  const existing = new Map<number, { id: string; state: BackfillIntervalPreview["existingState"] }>();
  if (result.plan.length > 0) {
    const first = result.plan[0]?.logicalDateMs as number;
    const last = result.plan[result.plan.length - 1]?.logicalDateMs as number;
    for (const run of await api.store.runsByLogicalDate(pipelineId, first, last)) if (!existing.has(run.logicalDateMs) || run.state === "running" || run.state === "queued") existing.set(run.logicalDateMs, { id: run.id, state: run.state });
  }
  const intervals: BackfillIntervalPreview[] = result.plan.map((p) => ({
    logicalDate: new Date(p.logicalDateMs).toISOString(),
    intervalStart: new Date(p.intervalStartMs).toISOString(),
    intervalEnd: new Date(p.intervalEndMs).toISOString(),
    action: ACTION[p.action],
    existingRunId: p.action === "create" ? null : (existing.get(p.logicalDateMs)?.id ?? null),
    existingState: p.existingState ?? null,
    detail: p.action,
  }));
  const response: BackfillResponse = { dryRun, intervals, backfill: result.backfill ? ((await views(api, [result.backfill]))[0] ?? null) : null };
  return c.json(response, result.backfill ? 201 : 200);
}

async function list(c: Context, api: ApiContext): Promise<Response> {
  const pipelineId = c.req.query("pipeline") || undefined;
  const states = (c.req.queries("state") ?? []).flatMap((s) => s.split(",")).filter((s) => s !== "");
  for (const state of states) oneOf(state, "state", BACKFILL_STATES);
  if (pipelineId !== undefined) await requirePipelineExists(api, pipelineId);
  const backfills = await api.store.listBackfills({ ...(pipelineId ? { pipelineId } : {}), states: states as (typeof BACKFILL_STATES)[number][] });
  const page: BackfillList = { items: await views(api, backfills), next: null, total: backfills.length };
  return c.json(page);
}

async function cancel(c: Context, api: ApiContext): Promise<Response> {
  const backfill = await cancelBackfill(api.commands, c.req.param("id") as string);
  return c.json((await views(api, [backfill]))[0]);
}

export const backfillRoutes: RouteSpec[] = [
  { method: "post", path: "/backfills", tag: "backfills", summary: "Create a backfill (201), or with dryRun preview its intervals and what happens to each, writing nothing (200)", body: "BackfillRequest", response: "BackfillResponse", status: 201, handler: create },
  {
    method: "get",
    path: "/backfills",
    tag: "backfills",
    summary: "Backfills, newest first, with their runs counted by state",
    query: [
      { name: "pipeline", type: "string", description: "only this pipeline's" },
      { name: "state", type: "string", description: "only backfills in this state (repeatable)", repeatable: true },
    ],
    response: "BackfillList",
    handler: list,
  },
  { method: "post", path: "/backfills/:id/cancel", tag: "backfills", summary: "Cancel a running backfill: its queued runs won't start, its running runs are canceled", response: "BackfillView", handler: cancel },
];
