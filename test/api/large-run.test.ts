// A run with thousands of task instances: its instances are listed a page at a time (keyset cursor, total
// counted in SQL) in the pipeline's topological order (t2 before t10), filtered by state and task, and its
// detail counts states per task without listing them. The pipeline's detail and graph are compact.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GraphView, Page, PipelineDetail, RunDetail, TaskInstanceView } from "../../src/api/types.js";
import type { PipelineGraph, TaskNode } from "../../src/graph/types.js";
import { newRunFor } from "../../src/scheduler/new-run.js";
import { startHarness, type Harness } from "./helpers.js";

const TASKS = 3000;
let h: Harness;
let runId: string;

beforeAll(async () => {
  h = await startHarness({ scheduler: false });
  // A version of a 3,000-task pipeline saved as a scheduler would, and a run of it created in the store.
  const template: TaskNode = { id: "x", kind: "function", upstream: [], needs: {}, after: [], map: null, trigger: "all_success", retry: { retries: 0, retryDelayMs: 1000, backoff: "fixed", maxRetryDelayMs: 1000 }, timeoutMs: null, queue: "default", pool: "default", priority: 0, cache: { enabled: false, ttlMs: null, customKey: false }, description: null, command: null, codeHash: "0", alerts: { onFailure: [], onRetry: [], onSuccess: [] } };
  // Unpadded ids: string order (t10 before t2) is not the pipeline's order.
  const ids = Array.from({ length: TASKS }, (_, i) => `t${i}`);
  const graph: PipelineGraph = {
    id: "api_big",
    version: "big1",
    file: "/nowhere/big.ts",
    description: null,
    schedule: null,
    timezone: "UTC",
    start: null,
    end: null,
    catchup: false,
    tags: [],
    maxActiveRuns: 16,
    maxActiveTasks: null,
    timeoutMs: null,
    alerts: { onFailure: [], onSuccess: [] },
    paramsSchema: null,
    tasks: ids.map((id) => ({ ...template, id, upstream: [], needs: {}, after: [] })),
    order: ids,
  };
  const nowMs = Date.now();
  await h.store.savePipelineVersion(graph, nowMs);
  const { run } = await h.store.createRun(newRunFor(graph, "manual", { logicalDateMs: nowMs, intervalStartMs: nowMs, intervalEndMs: nowMs }), nowMs);
  runId = run.id;
});
afterAll(async () => {
  await h?.close();
});

it("pages through a run's 3,000 instances, 1,000 at a time, in the pipeline's order and without repeats", async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const answer: { status: number; body: Page<TaskInstanceView> } = await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    expect(answer.status).toBe(200);
    expect(answer.body.total).toBe(TASKS);
    expect(answer.body.items.length).toBeLessThanOrEqual(1000);
    seen.push(...answer.body.items.map((i) => i.taskId));
    cursor = answer.body.next;
    pages++;
  } while (cursor !== null);
  expect(pages).toBe(3);
  expect(seen).toHaveLength(TASKS);
  expect(new Set(seen).size).toBe(TASKS);
  expect(seen).toEqual(Array.from({ length: TASKS }, (_, i) => `t${i}`));
  const first = (await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks`)).body;
  expect(first.items).toHaveLength(200);
  expect(first.next).not.toBeNull();
});

it("filters instances by task and state, and counts them per task in the run's detail", async () => {
  const one = (await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks?task=t42`)).body;
  expect(one).toMatchObject({ total: 1, next: null });
  expect(one.items[0]).toMatchObject({ taskId: "t42", mapIndex: -1, state: "pending", tryNumber: 0 });
  expect((await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks?state=pending&limit=1`)).body.total).toBe(TASKS);
  expect((await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks?state=success,failed`)).body).toMatchObject({ items: [], total: 0, next: null });
  const detail = (await h.call<RunDetail>("GET", `/api/v1/runs/${runId}`)).body;
  expect(Object.keys(detail.taskCounts)).toHaveLength(TASKS);
  expect(detail.taskCounts.t2999).toEqual({ pending: 1 });
});

it("pages with a state filter in the same order, the cursor picking up where the page ended", async () => {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const answer: { body: Page<TaskInstanceView> } = await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks?state=pending&limit=777${cursor ? `&cursor=${cursor}` : ""}`);
    pages.push(answer.body.items.map((i) => i.taskId));
    cursor = answer.body.next;
  } while (cursor !== null);
  expect(pages.map((p) => p.length)).toEqual([777, 777, 777, 669]);
  expect(pages.flat()).toEqual(Array.from({ length: TASKS }, (_, i) => `t${i}`));
});

it("answers a pipeline of more than 1,000 tasks compactly unless asked for all of it", async () => {
  const detail = await h.call<PipelineDetail>("GET", "/api/v1/pipelines/api_big");
  expect(detail.status, detail.text).toBe(200);
  expect(detail.body).toMatchObject({ taskCount: TASKS, tasksTruncated: true });
  expect(detail.body.tasks.map((t) => t.id)).toEqual(detail.body.order);
  expect(detail.body.order).toEqual(Array.from({ length: 1000 }, (_, i) => `t${i}`));
  const full = (await h.call<PipelineDetail>("GET", "/api/v1/pipelines/api_big?full=1")).body;
  expect(full).toMatchObject({ taskCount: TASKS, tasksTruncated: false });
  expect(full.tasks).toHaveLength(TASKS);

  // 3,000 tasks with the same (no) neighbours: one node standing for all of them, its counts summed.
  const graph = await h.call<GraphView>("GET", `/api/v1/pipelines/api_big/graph?run=${runId}`);
  expect(graph.status, graph.text).toBe(200);
  expect(graph.body).toMatchObject({ collapsed: true, taskCount: TASKS, order: ["group:t0"], edges: [], counts: { "group:t0": { pending: TASKS } } });
  expect(graph.body.tasks.map((t) => t.id)).toEqual(["group:t0"]);
  expect(graph.body.groups?.["group:t0"]?.size).toBe(TASKS);
  expect(graph.body.groups?.["group:t0"]?.tasks.slice(0, 3)).toEqual(["t0", "t1", "t2"]);
  const all = (await h.call<GraphView>("GET", `/api/v1/pipelines/api_big/graph?run=${runId}&full=1`)).body;
  expect(all).toMatchObject({ collapsed: false, taskCount: TASKS });
  expect(all.tasks).toHaveLength(TASKS);
  expect(all.counts.t2999).toEqual({ pending: 1 });
  const bad = await h.call<{ error: { code: string; message: string } }>("GET", "/api/v1/pipelines/api_big/graph?full=yes");
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/full must be 1 or 0/);
});
