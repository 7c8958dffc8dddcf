// /pools: pools with their slots in use and instances waiting for one; create or resize a pool.
import type { Context } from "hono";
import { setPool } from "../../scheduler/commands/index.js";
import type { PoolRecord } from "../../store/types.js";
import type { ApiContext, RouteSpec } from "../api-context.js";
import { optionalString, readBody } from "../input.js";
import { badRequest } from "../errors.js";
import type { PoolList, PoolView } from "../types.js";

/** Slots used (running) and waited for (scheduled or queued) per pool, from the instances of running runs. */
async function usage(api: ApiContext): Promise<Map<string, { used: number; queued: number }>> {
  const byPool = new Map<string, { used: number; queued: number }>();
  for (const row of await api.store.reads.activeInstanceCounts()) {
    const graph = await api.graphOf(row.pipelineId, row.version);
    const pool = graph?.tasks.find((t) => t.id === row.taskId)?.pool ?? "default";
    const entry = byPool.get(pool) ?? { used: 0, queued: 0 };
    if (row.state === "running") entry.used += row.count;
    else entry.queued += row.count;
    byPool.set(pool, entry);
  }
  return byPool;
}

function poolView(pool: PoolRecord, use: { used: number; queued: number } | undefined): PoolView {
  return { name: pool.name, slots: pool.slots, used: use?.used ?? 0, queued: use?.queued ?? 0, description: pool.description };
}

async function list(c: Context, api: ApiContext): Promise<Response> {
  const pools = await api.store.listPools();
  const use = await usage(api);
  const page: PoolList = { items: pools.map((p) => poolView(p, use.get(p.name))), next: null, total: pools.length };
  return c.json(page);
}

async function put(c: Context, api: ApiContext): Promise<Response> {
  const name = c.req.param("name") as string;
  const body = await readBody(c, ["slots", "description"]);
  const slots = body.slots;
  if (typeof slots !== "number") throw badRequest("slots must be a number", "slots");
  const description = optionalString(body, "description");
  const pool = await setPool(api.commands, { name, slots, ...(description === undefined ? {} : { description }) });
  return c.json(poolView(pool, (await usage(api)).get(pool.name)));
}

export const poolRoutes: RouteSpec[] = [
  { method: "get", path: "/pools", tag: "pools", summary: "Pools with their slots, slots in use and instances waiting for one", response: "PoolList", handler: list },
  { method: "put", path: "/pools/:name", tag: "pools", summary: "Create or resize a pool", body: "PoolRequest", response: "PoolView", handler: put },
];
