// The HTTP API under /api/v1 (JSON), server-sent events, /healthz, /metrics and the web app, in one Hono
// app. Routes come from one table (routes/*.ts) that both registers them and generates the OpenAPI
// document. Reads go through the store's read interfaces; writes through the scheduler's commands.
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AddressInfo } from "node:net";
import { WeirError } from "../common/errors.js";
import type { PipelineGraph } from "../graph/types.js";
import type { PipelineRecord } from "../store/types.js";
import { systemClock } from "../scheduler/clock.js";
import { liveSchedulerOwner } from "../scheduler/commands/index.js";
import type { ApiContext, ApiOptions, RouteSpec } from "./api-context.js";
import { errorBody, respondWithError } from "./errors.js";
import { ApiMetrics } from "./metrics.js";
import { buildOpenApi } from "./openapi.js";
import { backfillRoutes } from "./routes/backfills.js";
import { eventRoutes } from "./routes/events.js";
import { pipelineRoutes } from "./routes/pipelines.js";
import { poolRoutes } from "./routes/pools.js";
import { runRoutes } from "./routes/runs.js";
import { sensorRoutes } from "./routes/sensors.js";
import { taskRoutes } from "./routes/tasks.js";
import { EventHub } from "./sse.js";
import { defaultUiDir, serveUi } from "./static-ui.js";
import type { Health } from "./types.js";

export const API_PREFIX = "/api/v1";
/** Pipeline versions whose graphs the server keeps parsed (every edit in `weir dev` makes a version). */
const GRAPH_CACHE_SIZE = 64;
const MAX_BODY_BYTES = 1024 * 1024;

const systemRoutes: RouteSpec[] = [
  { method: "get", path: "/openapi.json", tag: "meta", summary: "This document", response: "OpenApi", handler: async (c) => c.json(OPENAPI) },
  { method: "get", path: "/healthz", tag: "meta", summary: "Whether the server can read its store, and whether a scheduler is live", response: "Health", handler: health },
  { method: "get", path: "/metrics", tag: "meta", summary: "Prometheus text: runs and tries by state, scheduler tick and commit latency, ready-queue depth, workers", response: "text", handler: metrics },
];

/** Every route, in the order they are registered and documented. */
export const ROUTES: readonly RouteSpec[] = [...pipelineRoutes, ...runRoutes, ...taskRoutes, ...backfillRoutes, ...poolRoutes, ...eventRoutes, ...sensorRoutes, ...systemRoutes];

/** Routes outside /api/v1. */
const ROOT_PATHS = new Set(["/healthz", "/metrics"]);

const OPENAPI = buildOpenApi(ROUTES, API_PREFIX);
(OPENAPI.components as { schemas: Record<string, unknown> }).schemas.OpenApi = { type: "object", description: "an OpenAPI 3.1 document" };

async function health(c: Context, api: ApiContext): Promise<Response> {
  const owner = await liveSchedulerOwner(api.store, api.nowMs());
  const body: Health = { ok: true, store: api.store.dialect, scheduler: { live: owner !== null, inProcess: api.scheduler !== null } };
  return c.json(body);
}

async function metrics(c: Context, api: ApiContext): Promise<Response> {
  const live = api.scheduler ? { readyDepth: api.scheduler.coordinator.readyDepth(), workers: api.workerCount() } : null;
  return c.text(await api.metrics.render(api.store, live), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
}

export interface ApiApp {
  app: Hono;
  context: ApiContext;
  /** Stops live events (the SSE hub's subscription to the scheduler). */
  close(): void;
}

export function createApiApp(options: ApiOptions): ApiApp {
  const clock = options.clock ?? systemClock;
  const scheduler = options.scheduler ?? null;
  const hub = new EventHub(options.store, scheduler ? null : (options.pollMs ?? 1000));
  const graphs = new Map<string, PipelineGraph>();
  const context: ApiContext = {
    store: options.store,
    home: options.home,
    workers: options.workers,
    scheduler,
    hub,
    metrics: options.metrics ?? new ApiMetrics(),
    workerCount: options.workerCount ?? (() => 0),
    storedLog: options.storedLog ?? (async () => null),
    nowMs: () => clock.now(),
    commands: { store: options.store, live: scheduler, clock, onChange: (change) => void hub.fromCommand(change) },
    graphOf: async (pipelineId, version) => {
      const key = `${pipelineId}@${version}`;
      const known = graphs.get(key);
      if (known) {
        // Most recently used last: the oldest goes first when the cache is full.
        graphs.delete(key);
        graphs.set(key, known);
        return known;
      }
      const graph = await options.store.getPipelineVersion(pipelineId, version);
      if (graph) graphs.set(key, graph);
      if (graphs.size > GRAPH_CACHE_SIZE) graphs.delete(graphs.keys().next().value as string);
      return graph;
    },
    pipelineOf: async (pipelineId) => {
      const head = await options.store.reads.pipelineHead(pipelineId);
      const graph = head && (await context.graphOf(head.id, head.version));
      return head && graph ? { ...head, graph } : null;
    },
    pipelines: async () => {
      const records: PipelineRecord[] = [];
      for (const head of await options.store.reads.pipelineHeads()) {
        const graph = await context.graphOf(head.id, head.version);
        if (graph) records.push({ ...head, graph });
      }
      return records;
    },
  };
  const unsubscribe = scheduler?.onRunChange((change) => hub.fromRunChange(change)) ?? (() => {});

  const app = new Hono();
  // Request bodies are small documents (a trigger's params, a clear's task list): refuse anything big.
  app.use(`${API_PREFIX}/*`, bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json(errorBody(new WeirError("body_too_large", `the request body is over ${MAX_BODY_BYTES / 1024} KiB`)).body, 413) }));
  for (const route of ROUTES) {
    const path = ROOT_PATHS.has(route.path) ? route.path : `${API_PREFIX}${route.path}`;
    app.on(route.method.toUpperCase(), path, async (c) => {
      try {
        return await route.handler(c, context);
      } catch (error) {
        return respondWithError(c, error);
      }
    });
  }
  app.all(`${API_PREFIX}/*`, (c) => respondWithError(c, new WeirError("route_not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname} (see ${API_PREFIX}/openapi.json)`)));
  app.onError((error, c) => respondWithError(c, error));
  const ui = serveUi(options.uiDir ?? defaultUiDir());
  app.get("*", ui);
  return {
    app,
    context,
    close: () => {
      unsubscribe();
      hub.close();
    },
  };
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0: a free one); rejects with a clear error when the port is taken. */
export function listen(app: Hono, port: number, host: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
      const shown = host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${shown === "0.0.0.0" ? "localhost" : shown}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // Open event streams would hold close() forever: end them.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new WeirError("port_in_use", `port ${port} on ${host} is in use: choose another with --port or WEIR_PORT`) : error);
    });
  });
}
