// What every route handler works with: the store (reads), the shared commands (writes), the live-event hub,
// the metrics, and the scheduler of this process when there is one (`weir dev`).
import type { Context } from "hono";
import type { PipelineGraph } from "../graph/types.js";
import type { CommandContext, LiveScheduler, RunPreparer } from "../scheduler/commands/index.js";
import type { Clock } from "../scheduler/clock.js";
import type { RunChangeListener } from "../scheduler/coordinator.js";
import type { LogChunkRecord } from "../store/distributed-types.js";
import type { PipelineRecord, Store } from "../store/types.js";
import type { ApiMetrics } from "./metrics.js";
import type { EventHub } from "./sse.js";

/** The scheduler service of this process, as the API sees it (`SchedulerService` fits). */
export interface ApiScheduler extends LiveScheduler {
  onRunChange(listener: RunChangeListener): () => void;
  /** Problems of the pipeline files it loads (a broken file keeps its last good version). */
  readonly registry: { problems(): { file: string; message: string; task?: string }[] };
  readonly coordinator: LiveScheduler["coordinator"] & { readyDepth(): number };
}

export interface ApiOptions {
  store: Store;
  /** WEIR_HOME: where try logs are. */
  home: string;
  /** Loads pipeline files and validates params in worker processes (user code never runs in the server). */
  workers: RunPreparer;
  /** The scheduler running in this process, or null for `weir server` alone. */
  scheduler?: ApiScheduler | null;
  clock?: Pick<Clock, "now">;
  /** The built web app (index.html + assets); default `<package>/dist/ui`. */
  uiDir?: string;
  /** How many worker processes run tries in this process (metrics). */
  workerCount?: () => number;
  /** Shared with the scheduler's tick hook; a fresh one by default. */
  metrics?: ApiMetrics;
  /** How often `weir server` alone looks for changes to send as live events (default 1 s). */
  pollMs?: number;
  /**
   * A try's log as a remote `weir worker` shipped it to the store, read when the log file isn't in `home`
   * (docs/distributed.md); default: none. The CLI wires the store's chunks in (serve-api.ts).
   */
  storedLog?: StoredLogReader;
}

/**
 * Up to `limit` stored chunks of a try's log, in order, from the one holding byte `offset` on (so a reader
 * following a running try reads only what is new); null when none are kept.
 */
export type StoredLogReader = (runId: string, taskId: string, mapIndex: number, tryNumber: number, offset: number, limit: number) => Promise<LogChunkRecord[] | null>;

export interface ApiContext {
  store: Store;
  home: string;
  workers: RunPreparer;
  scheduler: ApiScheduler | null;
  commands: CommandContext;
  hub: EventHub;
  metrics: ApiMetrics;
  workerCount: () => number;
  storedLog: StoredLogReader;
  nowMs(): number;
  /** A pipeline version's graph (immutable: read once). */
  graphOf(pipelineId: string, version: string): Promise<PipelineGraph | null>;
  /** A pipeline with the graph of its latest version, that graph from the cache. */
  pipelineOf(pipelineId: string): Promise<PipelineRecord | null>;
  /** Every pipeline, as `pipelineOf`. */
  pipelines(): Promise<PipelineRecord[]>;
}

export type Handler = (c: Context, api: ApiContext) => Promise<Response>;

export interface QueryParam {
  name: string;
  type: "string" | "integer" | "boolean";
  description: string;
  repeatable?: boolean;
}

/** One route: registered on the app and described in the OpenAPI document from the same entry. */
export interface RouteSpec {
  method: "get" | "post" | "put";
  /** Under /api/v1, Hono style (`/runs/:id`). */
  path: string;
  summary: string;
  tag: string;
  query?: QueryParam[];
  /** Component schema of the request body. */
  body?: string;
  /** Component schema of the answer, or "text" for text/plain, or "sse" for an event stream. */
  response: string;
  /** For an "sse" route that also answers JSON when asked (a query parameter, or Accept: application/json): its component schema. */
  json?: string;
  /** Status of a successful answer (default 200). */
  status?: number;
  handler: Handler;
}
