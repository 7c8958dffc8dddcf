// A run's task instances (paginated: a run may have 100,000), marking one success or failed, its tries,
// and each try's log: a slice from a byte offset for tailing, or the whole file as a download. A try that ran
// on a remote `weir worker` has no log file here: its log is read from the chunks the worker shipped.
import { open, stat } from "node:fs/promises";
import type { Context } from "hono";
import { WeirError } from "../../common/errors.js";
import { TASK_STATES, type TaskState } from "../../engine/states.js";
import { markTask } from "../../scheduler/commands/index.js";
import { requireRun } from "../../scheduler/commands/context.js";
import { tryLogPath } from "../../observe/try-log-path.js";
import { forEachLogSlice, readStoredLogSlice } from "../../store/log-chunks.js";
import type { RunRecord, TryRecord } from "../../store/types.js";
import type { ApiContext, RouteSpec } from "../api-context.js";

import { decodeCursor, encodeCursor, oneOf, optionalInteger, pathInteger, queryInteger, readBody, requiredString } from "../input.js";
import type { LogChunk, MarkResponse, Page, TaskInstanceView } from "../types.js";
import { instanceView, tryView } from "../views.js";
import { runDetail } from "./runs.js";

/** Bytes of log per chunk: a page of text, not a 10 MiB answer. */
const LOG_CHUNK_BYTES = 256 * 1024;

function isInstanceCursor(value: unknown): value is { t: string; m: number } {
  const v = value as { t?: unknown; m?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.t === "string" && typeof v.m === "number";
}

async function requireTask(api: ApiContext, run: RunRecord, taskId: string): Promise<void> {
  const graph = await api.graphOf(run.pipelineId, run.version);
  if (!graph?.tasks.some((t) => t.id === taskId)) throw new WeirError("task_not_found", `run ${run.id} has no task "${taskId}"`, { where: { run: run.id, task: taskId } });
}

async function listInstances(c: Context, api: ApiContext): Promise<Response> {
  const run = await requireRun(api.store, c.req.param("id") as string);
  const states = (c.req.queries("state") ?? []).flatMap((s) => s.split(",")).filter((s) => s !== "") as TaskState[];
  for (const state of states) oneOf(state, "state", TASK_STATES);
  const taskId = c.req.query("task") || undefined;
  if (taskId !== undefined) await requireTask(api, run, taskId);
  const limit = queryInteger(c, "limit", { min: 1, max: 1000 }) ?? 200;
  const cursor = decodeCursor(c.req.query("cursor"), isInstanceCursor);
  const filter = { runId: run.id, states, ...(taskId ? { taskId } : {}) };
  // The run's topological order, then map index (as the run document lists them): leaf2 before leaf10.
  const taskOrder = taskId === undefined ? (await api.graphOf(run.pipelineId, run.version))?.order : undefined;
  const rows = await api.store.reads.listInstancesPage({ ...filter, ...(cursor ? { after: { taskId: cursor.t, mapIndex: cursor.m } } : {}), ...(taskOrder ? { taskOrder } : {}), limit: limit + 1 });
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const page: Page<TaskInstanceView> = {
    items: items.map(instanceView),
    next: rows.length > limit && last ? encodeCursor({ t: last.taskId, m: last.mapIndex }) : null,
    total: await api.store.reads.countInstances(filter),
  };
  return c.json(page);
}

async function mark(c: Context, api: ApiContext): Promise<Response> {
  const runId = c.req.param("id") as string;
  const taskId = c.req.param("task") as string;
  const body = await readBody(c, ["state", "mapIndex"]);
  const state = oneOf(requiredString(body, "state"), "state", ["success", "failed"] as const) as "success" | "failed";
  const mapIndex = optionalInteger(body, "mapIndex", -1) ?? -1;
  const { run, instance } = await markTask(api.commands, runId, { taskId, mapIndex, state });
  const response: MarkResponse = { run: await runDetail(api, run), instance: instanceView(instance) };
  return c.json(response);
}

async function listTries(c: Context, api: ApiContext): Promise<Response> {
  const run = await requireRun(api.store, c.req.param("id") as string);
  const taskId = c.req.param("task") as string;
  await requireTask(api, run, taskId);
  const mapIndex = queryInteger(c, "mapIndex", { min: -1, max: Number.MAX_SAFE_INTEGER });
  return c.json((await api.store.listTries(run.id, taskId, mapIndex)).map(tryView));
}

async function requireTry(c: Context, api: ApiContext): Promise<{ run: RunRecord; attempt: TryRecord; path: string }> {
  const run = await requireRun(api.store, c.req.param("id") as string);
  const taskId = c.req.param("task") as string;
  await requireTask(api, run, taskId);
  const tryNumber = pathInteger(c.req.param("n") as string, "try number", 1);
  const mapIndex = queryInteger(c, "mapIndex", { min: -1, max: Number.MAX_SAFE_INTEGER }) ?? -1;
  const attempt = (await api.store.listTries(run.id, taskId, mapIndex)).find((t) => t.tryNumber === tryNumber);
  if (!attempt) throw new WeirError("try_not_found", `task ${taskId}${mapIndex >= 0 ? `[${mapIndex}]` : ""} of run ${run.id} has no try ${tryNumber}`, { where: { run: run.id, task: taskId } });
  return { run, attempt, path: tryLogPath(api.home, run.pipelineId, run.id, taskId, mapIndex, tryNumber) };
}

/** Bytes of a complete UTF-8 text at the end of `buffer`: a character cut by the chunk waits for the next one. */
function completeUtf8Length(buffer: Buffer): number {
  let end = buffer.length;
  let back = 0;
  while (back < 4 && end - back - 1 >= 0 && ((buffer[end - back - 1] as number) & 0xc0) === 0x80) back++;
  const lead = end - back - 1;
  if (lead < 0) return end;
  const byte = buffer[lead] as number;
  const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  if (need > back + 1) end = lead;
  return end;
}

/** A try's log as bytes: its file on this machine, else what a remote worker shipped to the store. */
interface LogBytes {
  /** At least `length` bytes from `offset` where there are that many (the caller cuts), and whether they reach the end so far. */
  read(offset: number, length: number): Promise<{ bytes: Buffer; end: boolean }>;
}

async function tryLog(api: ApiContext, run: RunRecord, attempt: TryRecord, path: string): Promise<LogBytes> {
  const size = await stat(path).then((s) => s.size, () => null);
  if (size !== null) {
    return {
      read: async (offset, length) => {
        if (offset >= size) return { bytes: Buffer.alloc(0), end: true };
        const handle = await open(path, "r");
        try {
          const buffer = Buffer.alloc(Math.min(length, size - offset));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          return { bytes: buffer.subarray(0, bytesRead), end: offset + bytesRead >= size };
        } finally {
          await handle.close();
        }
      },
    };
  }
  // Shipped chunks are cut at character boundaries: their bytes, end to end, are the worker's file. Only the
  // chunks from the offset on are read: tailing a long log costs what is new.
  const chunks = (offset: number, limit: number) => api.storedLog(run.id, attempt.taskId, attempt.mapIndex, attempt.tryNumber, offset, limit);
  return { read: (offset, length) => readStoredLogSlice(chunks, offset, length) };
}

async function logChunk(c: Context, api: ApiContext): Promise<Response> {
  const { run, attempt, path } = await requireTry(c, api);
  const offset = queryInteger(c, "offset", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
  const ended = attempt.state !== "queued" && attempt.state !== "running";
  const log = await tryLog(api, run, attempt, path);
  const { bytes, end } = await log.read(offset, LOG_CHUNK_BYTES);
  const slice = bytes.subarray(0, LOG_CHUNK_BYTES);
  const length = completeUtf8Length(slice);
  const text = slice.subarray(0, length).toString("utf8");
  const nextOffset = offset + length;
  const chunk: LogChunk = { text, offset, nextOffset, complete: ended && end && length === bytes.length };
  return c.json(chunk);
}

/** Bytes read per step of a download. */
const DOWNLOAD_STEP_BYTES = 4 * 1024 * 1024;

async function logDownload(c: Context, api: ApiContext): Promise<Response> {
  const { run, attempt, path } = await requireTry(c, api);
  const log = await tryLog(api, run, attempt, path);
  const parts: Buffer[] = [];
  await forEachLogSlice((offset, length) => log.read(offset, length), 0, DOWNLOAD_STEP_BYTES, (bytes) => {
    parts.push(bytes);
  });
  const name = `${run.id}_${attempt.taskId}${attempt.mapIndex >= 0 ? `_${attempt.mapIndex}` : ""}_try${attempt.tryNumber}.log`;
  return new Response(Buffer.concat(parts), { headers: { "content-type": "text/plain; charset=utf-8", "content-disposition": `attachment; filename="${name}"` } });
}

export const taskRoutes: RouteSpec[] = [
  {
    method: "get",
    path: "/runs/:id/tasks",
    tag: "tasks",
    summary: "A run's task instances, in the topological order of its tasks then by map index, one page at a time (follow `next`)",
    query: [
      { name: "state", type: "string", description: "only instances in this state (repeatable, or comma-separated)", repeatable: true },
      { name: "task", type: "string", description: "only this task's instances (a mapped task has many)" },
      { name: "limit", type: "integer", description: "page size (1–1000, default 200)" },
      { name: "cursor", type: "string", description: "`next` of the previous page" },
    ],
    response: "TaskInstancePage",
    handler: listInstances,
  },
  { method: "post", path: "/runs/:id/tasks/:task/mark", tag: "tasks", summary: "Mark a task instance success or failed (a try in flight is stopped)", body: "MarkRequest", response: "MarkResponse", handler: mark },
  {
    method: "get",
    path: "/runs/:id/tasks/:task/tries",
    tag: "tasks",
    summary: "The tries of a task in a run (of one map index with ?mapIndex)",
    query: [{ name: "mapIndex", type: "integer", description: "map index of a mapped task (-1: unmapped)" }],
    response: "TryList",
    handler: listTries,
  },
  {
    method: "get",
    path: "/runs/:id/tasks/:task/tries/:n/logs",
    tag: "tasks",
    summary: "A slice of a try's log from a byte offset (tail it by asking again from nextOffset until complete)",
    query: [
      { name: "offset", type: "integer", description: "byte offset to read from (default 0; a whole number ≥ 0, else 400/422): only the log past it is read, also for a try on a remote worker" },
      { name: "mapIndex", type: "integer", description: "map index of a mapped task (default -1: unmapped)" },
    ],
    response: "LogChunk",
    handler: logChunk,
  },
  {
    method: "get",
    path: "/runs/:id/tasks/:task/tries/:n/logs/download",
    tag: "tasks",
    summary: "A try's whole log as a text file",
    query: [{ name: "mapIndex", type: "integer", description: "map index of a mapped task (default -1: unmapped)" }],
    response: "text",
    handler: logDownload,
  },
];

