// `--server URL`: the CLI's commands that read or change state talk to a running `weir server`/`weir dev`
// through the HTTP API instead of opening the store. An API error becomes the same WeirError (code,
// message, place) the local path throws, so output and exit codes match: 4xx → exit 2, else 1.
import { WeirError } from "../common/errors.js";
import type { ApiError, Health, Page, RunDetail, TaskInstanceView } from "../api/types.js";
import type { RunDocument } from "../store/run-document.js";

export type HttpMethod = "GET" | "POST" | "PUT";

function baseUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new WeirError("server_invalid", `--server must be a URL like http://localhost:8080, got "${server}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new WeirError("server_invalid", `--server must be an http(s) URL, got "${server}"`);
  return url;
}

export const enc = encodeURIComponent;

/** Calls `/api/v1<path>`; resolves to the parsed JSON body of a 2xx answer. */
export function callApi<T>(server: string, method: HttpMethod, path: string, body?: unknown): Promise<T> {
  return request<T>(server, method, `/api/v1${path}`, body);
}

/** GET /healthz: whether a scheduler is live against the server's store. */
export function serverHealth(server: string): Promise<Health> {
  return request<Health>(server, "GET", "/healthz");
}

async function request<T>(server: string, method: HttpMethod, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, baseUrl(server));
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new WeirError("server_unreachable", `can't reach the Weir server at ${url.origin}: ${cause}`, { input: false });
  }
  const text = await response.text();
  if (!response.ok) {
    let parsed: ApiError | null = null;
    try {
      parsed = JSON.parse(text) as ApiError;
    } catch {
      // not an API error body: reported below with the status
    }
    const message = parsed?.error?.message ?? `the server answered ${response.status} ${response.statusText}`;
    const where = parsed?.error?.where ?? {};
    const place = Object.fromEntries(Object.entries(where).map(([k, v]) => [k, String(v)]));
    throw new WeirError(parsed?.error?.code ?? `http_${response.status}`, message, { where: place, input: response.status < 500 });
  }
  return JSON.parse(text) as T;
}

/** Every page of a paginated list. */
export async function allPages<T>(server: string, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const page: Page<T> = await callApi<Page<T>>(server, "GET", `${path}${cursor ? `${separator}cursor=${enc(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return items;
}

/** The run document of DESIGN.md §4, built from the API as `toRunDocument` builds it from the store. */
export async function fetchRunDocument(server: string, runId: string): Promise<{ run: RunDetail; doc: RunDocument; instances: TaskInstanceView[] }> {
  const run = await callApi<RunDetail>(server, "GET", `/runs/${enc(runId)}`);
  const instances = await allPages<TaskInstanceView>(server, `/runs/${enc(runId)}/tasks?limit=1000`);
  const rank = new Map(run.order.map((id, i) => [id, i]));
  const sorted = [...instances].sort((a, b) => (rank.get(a.taskId) ?? 0) - (rank.get(b.taskId) ?? 0) || a.mapIndex - b.mapIndex);
  const doc: RunDocument = {
    run: { id: run.id, pipeline: run.pipeline, state: run.state, logicalDate: run.logicalDate, startedAt: run.startedAt, endedAt: run.endedAt },
    tasks: sorted.map((i) => ({ id: i.taskId, mapIndex: i.mapIndex, state: i.state, tries: i.tryNumber, cached: i.cached, startedAt: i.startedAt, endedAt: i.endedAt })),
  };
  return { run, doc, instances: sorted };
}
