// The client of the HTTP API under /api/v1: one function per route, typed by src/api/types.ts. A failed
// request throws ApiFailure carrying the API's error body, so forms can show its message as is.
import type {
  ApiError,
  BackfillList,
  BackfillRequest,
  BackfillResponse,
  ClearRequest,
  EventList,
  EventView,
  ClearResponse,
  GanttView,
  GraphView,
  GridView,
  LogChunk,
  MarkRequest,
  MarkResponse,
  Page,
  PipelineDetail,
  PipelineList,
  PoolList,
  PoolView,
  RunDetail,
  RunListQuery,
  RunSummary,
  SensorWaitList,
  TaskInstanceView,
  TaskState,
  TriggerRequest,
  TryView,
} from "../../src/api/types";

const BASE = "/api/v1";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly where?: Record<string, string | number>,
  ) {
    super(message);
  }
}

function isApiError(body: unknown): body is ApiError {
  return typeof body === "object" && body !== null && "error" in body && typeof (body as ApiError).error?.message === "string";
}

class RawBody {
  constructor(readonly text: string) {}
}

/** A body given as RawBody is sent as it is: the API, not the page, judges whether it is JSON. */
async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.body = body instanceof RawBody ? body.text : JSON.stringify(body);
    init.headers = { accept: "application/json", "content-type": "application/json" };
  }
  const response = await fetch(BASE + path, init);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    if (isApiError(parsed)) throw new ApiFailure(response.status, parsed.error.code, parsed.error.message, parsed.error.where);
    throw new ApiFailure(response.status, "http_error", `${method} ${path}: HTTP ${response.status}`);
  }
  return parsed as T;
}

function query(params: Record<string, string | number | boolean | string[] | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const item of value) search.append(key, item);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const seg = encodeURIComponent;

export const api = {
  pipelines: () => request<PipelineList>("GET", "/pipelines"),
  pipeline: (id: string) => request<PipelineDetail>("GET", `/pipelines/${seg(id)}`),
  pause: (id: string) => request<unknown>("POST", `/pipelines/${seg(id)}/pause`),
  unpause: (id: string) => request<unknown>("POST", `/pipelines/${seg(id)}/unpause`),
  graph: (id: string, run: string | null) => request<GraphView>("GET", `/pipelines/${seg(id)}/graph${query({ run })}`),
  grid: (id: string, limit: number) => request<GridView>("GET", `/pipelines/${seg(id)}/grid${query({ limit })}`),
  runs: (q: RunListQuery) => request<Page<RunSummary>>("GET", `/runs${query({ ...q, state: q.state })}`),
  run: (id: string) => request<RunDetail>("GET", `/runs/${seg(id)}`),
  trigger: (pipeline: string, body: TriggerRequest) => request<RunSummary>("POST", `/pipelines/${seg(pipeline)}/runs`, body),
  cancel: (runId: string) => request<unknown>("POST", `/runs/${seg(runId)}/cancel`),
  clear: (runId: string, body: ClearRequest) => request<ClearResponse>("POST", `/runs/${seg(runId)}/clear`, body),
  mark: (runId: string, task: string, body: MarkRequest) => request<MarkResponse>("POST", `/runs/${seg(runId)}/tasks/${seg(task)}/mark`, body),
  tasks: (runId: string, q: { state?: TaskState | undefined; task?: string | undefined; limit: number; cursor?: string | null }) =>
    request<Page<TaskInstanceView>>("GET", `/runs/${seg(runId)}/tasks${query(q)}`),
  tries: (runId: string, task: string, mapIndex: number) =>
    request<TryView[]>("GET", `/runs/${seg(runId)}/tasks/${seg(task)}/tries${query({ mapIndex })}`),
  logs: (runId: string, task: string, tryNumber: number, mapIndex: number, offset: number) =>
    request<LogChunk>("GET", `/runs/${seg(runId)}/tasks/${seg(task)}/tries/${tryNumber}/logs${query({ offset, mapIndex })}`),
  logDownloadUrl: (runId: string, task: string, tryNumber: number, mapIndex: number) =>
    `${BASE}/runs/${seg(runId)}/tasks/${seg(task)}/tries/${tryNumber}/logs/download${query({ mapIndex })}`,
  gantt: (runId: string) => request<GanttView>("GET", `/runs/${seg(runId)}/gantt`),
  backfill: (body: BackfillRequest) => request<BackfillResponse>("POST", "/backfills", body),
  backfills: (pipeline: string) => request<BackfillList>("GET", `/backfills${query({ pipeline })}`),
  cancelBackfill: (id: string) => request<unknown>("POST", `/backfills/${seg(id)}/cancel`),
  // A query parameter (limit) makes GET /events answer JSON rather than the live stream.
  events: (name: string | null, limit: number) => request<EventList>("GET", `/events${query({ name, limit })}`),
  event: (id: string) => request<EventView>("GET", `/events/${seg(id)}`),
  emit: (name: string, payloadText: string) => request<EventView>("POST", `/events/${seg(name)}`, new RawBody(payloadText)),
  sensors: (runId: string) => request<SensorWaitList>("GET", `/runs/${seg(runId)}/sensors`),
  pools: () => request<PoolList>("GET", "/pools"),
  setPool: (name: string, slots: number, description?: string) => request<PoolView>("PUT", `/pools/${seg(name)}`, { slots, description }),
};

export function errorText(error: unknown): string {
  if (error instanceof ApiFailure) {
    const where = error.where ? ` (${Object.entries(error.where).map(([k, v]) => `${k}: ${v}`).join(", ")})` : "";
    return `${error.message}${where}`;
  }
  return error instanceof Error ? error.message : String(error);
}
