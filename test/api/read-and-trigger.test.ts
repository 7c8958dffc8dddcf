// The API inside a live scheduler (as `weir dev` serves it): a run triggered with params runs to success on
// real workers, and every read endpoint describes it; bad requests get the right 4xx and change nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GanttView, GraphView, GridView, LogChunk, Page, PipelineDetail, PipelineList, RunDetail, RunSummary, TaskInstanceView, TryView } from "../../src/api/types.js";
import { apiError, startHarness, storeSnapshot, waitFor, type Harness } from "./helpers.js";

let h: Harness;
let runId: string;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const runOf = async (id: string): Promise<RunDetail> => (await h.call<RunDetail>("GET", `/api/v1/runs/${id}`)).body;

describe("trigger and read", () => {
  it("triggers a run with params that runs to success under the in-process scheduler", async () => {
    const answer = await h.call<RunDetail>("POST", "/api/v1/pipelines/api_params/runs", { params: { n: 21 } });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body).toMatchObject({ pipeline: "api_params", trigger: "manual", params: { n: 21 }, order: ["double", "report"] });
    runId = answer.body.id;
    const done = await waitFor("the run to succeed", async () => {
      const run = await runOf(runId);
      return run.state === "success" && run;
    });
    expect(done.taskCounts).toEqual({ double: { success: 1 }, report: { success: 1 } });
  });

  it("lists pipelines with their schedule in words and latest runs, and one pipeline with its params schema", async () => {
    const list = (await h.call<PipelineList>("GET", "/api/v1/pipelines")).body;
    expect(list.loadErrors).toEqual([]);
    const byId = new Map(list.pipelines.map((p) => [p.id, p]));
    expect([...byId.keys()].sort()).toEqual(["api_daily", "api_ops", "api_params"]);
    expect(byId.get("api_params")).toMatchObject({ scheduleText: "manual only", nextRunAt: null, paused: false, tags: ["api", "params"] });
    expect(byId.get("api_params")?.recentRuns[0]?.id).toBe(runId);
    expect(byId.get("api_daily")).toMatchObject({ schedule: "@daily", scheduleText: "every day at 00:00 (UTC)" });
    const detail = (await h.call<PipelineDetail>("GET", "/api/v1/pipelines/api_params")).body;
    expect(detail.order).toEqual(["double", "report"]);
    expect(detail.paramsSchema).toMatchObject({ type: "object", properties: { n: { type: "integer" }, mode: { enum: ["fast", "slow"] } } });
    expect(detail.tasks.find((t) => t.id === "report")).toMatchObject({ upstream: ["double"], kind: "function", trigger: "all_success", map: null });
  });

  it("serves the graph (with a run's counts), the grid and the Gantt chart", async () => {
    const graph = (await h.call<GraphView>("GET", `/api/v1/pipelines/api_params/graph?run=${runId}`)).body;
    expect(graph.edges).toEqual([{ from: "double", to: "report" }]);
    expect(graph.counts).toEqual({ double: { success: 1 }, report: { success: 1 } });
    const grid = (await h.call<GridView>("GET", "/api/v1/pipelines/api_params/grid?limit=5")).body;
    expect(grid.tasks).toEqual(["double", "report"]);
    expect(grid.runs.map((r) => r.id)).toEqual([runId]);
    expect(grid.cells).toEqual([["success", "success"]]);
    const gantt = (await h.call<GanttView>("GET", `/api/v1/runs/${runId}/gantt`)).body;
    expect(gantt.tries.map((t) => `${t.taskId}#${t.tryNumber}:${t.state}`)).toEqual(["double#1:success", "report#1:success"]);
    expect(gantt.tries.every((t) => t.startedAt !== null && t.endedAt !== null && t.queuedAt <= (t.startedAt as string))).toBe(true);
  });

  it("lists task instances, tries and a try's log by offset, and downloads it", async () => {
    const tasks = (await h.call<Page<TaskInstanceView>>("GET", `/api/v1/runs/${runId}/tasks`)).body;
    expect(tasks).toMatchObject({ total: 2, next: null });
    expect(tasks.items.map((t) => [t.taskId, t.state, t.tryNumber])).toEqual([["double", "success", 1], ["report", "success", 1]]);
    const tries = (await h.call<TryView[]>("GET", `/api/v1/runs/${runId}/tasks/double/tries`)).body;
    expect(tries).toHaveLength(1);
    expect(tries[0]).toMatchObject({ tryNumber: 1, state: "success", error: null });
    const log = (await h.call<LogChunk>("GET", `/api/v1/runs/${runId}/tasks/double/tries/1/logs`)).body;
    expect(log.text).toMatch(/doubling 21 \(fast\)/);
    expect(log).toMatchObject({ offset: 0, complete: true });
    const rest = (await h.call<LogChunk>("GET", `/api/v1/runs/${runId}/tasks/double/tries/1/logs?offset=${log.nextOffset}`)).body;
    expect(rest).toMatchObject({ text: "", offset: log.nextOffset, nextOffset: log.nextOffset, complete: true });
    const tail = (await h.call<LogChunk>("GET", `/api/v1/runs/${runId}/tasks/double/tries/1/logs?offset=5`)).body;
    expect(tail.text).toBe(log.text.slice(5));
    const download = await h.call<string>("GET", `/api/v1/runs/${runId}/tasks/double/tries/1/logs/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${runId}_double_try1.log"`);
    expect(download.text).toBe(log.text);
  });

  it("lists runs with filters and cursor pages", async () => {
    for (const n of [1, 2, 3]) expect((await h.call("POST", "/api/v1/pipelines/api_params/runs", { params: { n }, logicalDate: `2025-01-0${n}` })).status).toBe(201);
    const all = (await h.call<Page<RunSummary>>("GET", "/api/v1/runs?pipeline=api_params")).body;
    expect(all.items).toHaveLength(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<RunSummary> = (await h.call<Page<RunSummary>>("GET", `/api/v1/runs?pipeline=api_params&limit=3${cursor ? `&cursor=${cursor}` : ""}`)).body;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next;
    } while (cursor !== null);
    expect(seen).toEqual(all.items.map((r) => r.id));
    const ranged = (await h.call<Page<RunSummary>>("GET", "/api/v1/runs?pipeline=api_params&from=2025-01-02&to=2025-01-03")).body;
    expect(ranged.items.map((r) => r.logicalDate).sort()).toEqual(["2025-01-02T00:00:00.000Z", "2025-01-03T00:00:00.000Z"]);
    await waitFor("the three runs to succeed", async () => (await h.call<Page<RunSummary>>("GET", "/api/v1/runs?pipeline=api_params&state=success")).body.items.length === 4);
    const none = (await h.call<Page<RunSummary>>("GET", "/api/v1/runs?state=failed&state=canceled")).body;
    expect(none.items).toEqual([]);
  });

  it("answers bad requests with the right 4xx, naming the problem, and changes nothing", async () => {
    const before = await storeSnapshot(h.store);
    const cases: [string, string, unknown, number, RegExp, string?][] = [
      ["POST", "/api/v1/pipelines/api_params/runs", { params: { n: 0 } }, 422, /param n/, "param_invalid"],
      ["POST", "/api/v1/pipelines/api_params/runs", { params: { n: 5, mode: "medium" } }, 422, /param mode/, "param_invalid"],
      ["POST", "/api/v1/pipelines/api_params/runs", { params: { n: 5, extra: true } }, 422, /unknown param 'extra'/, "param_invalid"],
      ["POST", "/api/v1/pipelines/api_params/runs", { params: { n: "5" } }, 422, /param n/, "param_invalid"],
      ["POST", "/api/v1/pipelines/api_params/runs", "{not json", 400, /not JSON/, "malformed_json"],
      ["POST", "/api/v1/pipelines/api_params/runs", { params: [1] }, 400, /params must be a JSON object/, "bad_request"],
      ["POST", "/api/v1/pipelines/api_params/runs", { params: { n: 2 }, logicalDate: 5 }, 400, /logicalDate must be a string/, "bad_request"],
      ["POST", "/api/v1/pipelines/api_params/runs", { params: { n: 2 }, logicalDate: "yesterday" }, 422, /logical date "yesterday"/, "logical_date_invalid"],
      ["POST", "/api/v1/pipelines/api_params/runs", { param: {} }, 400, /unknown field "param"/, "bad_request"],
      ["POST", "/api/v1/pipelines/nope/runs", {}, 404, /no pipeline "nope"/, "pipeline_not_found"],
      ["GET", "/api/v1/pipelines/nope", undefined, 404, /no pipeline "nope"/],
      ["GET", "/api/v1/pipelines/nope/graph", undefined, 404, /no pipeline/],
      ["GET", "/api/v1/pipelines/api_params/graph?run=nope", undefined, 404, /no run "nope"/],
      ["GET", "/api/v1/pipelines/api_params/grid?limit=abc", undefined, 400, /limit must be a whole number/],
      ["GET", "/api/v1/pipelines/api_params/grid?limit=0", undefined, 422, /limit must be between/],
      ["POST", "/api/v1/pipelines/nope/pause", undefined, 404, /no pipeline/],
      ["GET", "/api/v1/runs/nope", undefined, 404, /no run with id "nope"/, "run_not_found"],
      ["GET", "/api/v1/runs?pipeline=nope", undefined, 404, /no pipeline/],
      ["GET", "/api/v1/runs?state=done", undefined, 422, /state must be one of/],
      ["GET", "/api/v1/runs?cursor=zzz", undefined, 400, /cursor/],
      ["GET", "/api/v1/runs?from=someday", undefined, 422, /from must be an ISO date/],
      ["GET", `/api/v1/runs/${runId}/tasks/nope/tries`, undefined, 404, /no task "nope"/, "task_not_found"],
      ["GET", `/api/v1/runs/${runId}/tasks?state=green`, undefined, 422, /state must be one of/],
      ["GET", `/api/v1/runs/${runId}/tasks/double/tries/9/logs`, undefined, 404, /no try 9/, "try_not_found"],
      ["GET", `/api/v1/runs/${runId}/tasks/double/tries/x/logs`, undefined, 400, /try number must be a whole number/],
      ["GET", `/api/v1/runs/${runId}/tasks/double/tries/1/logs?offset=-1`, undefined, 422, /offset must be between/],
      ["GET", "/api/v1/runs/nope/gantt", undefined, 404, /no run/],
      ["GET", "/api/v1/nothing-here", undefined, 404, /no route GET \/api\/v1\/nothing-here/, "route_not_found"],
    ];
    for (const [method, path, body, status, message, code] of cases) {
      const error = apiError(await h.call(method, path, body), status);
      expect(error.message, `${method} ${path}`).toMatch(message);
      if (code) expect(error.code, `${method} ${path}`).toBe(code);
    }
    const bad = apiError(await h.call("POST", "/api/v1/pipelines/api_params/runs", { params: { n: 0 } }), 422);
    expect(bad.where).toMatchObject({ pipeline: "api_params", param: "n" });
    expect(await storeSnapshot(h.store)).toEqual(before);
  });

  it("pauses and unpauses a pipeline", async () => {
    const paused = await h.call<PipelineDetail>("POST", "/api/v1/pipelines/api_daily/pause");
    expect(paused.body).toMatchObject({ id: "api_daily", paused: true, nextRunAt: null });
    expect((await h.store.getPipeline("api_daily"))?.paused).toBe(true);
    const unpaused = await h.call<PipelineDetail>("POST", "/api/v1/pipelines/api_daily/unpause");
    expect(unpaused.body.paused).toBe(false);
    expect((await h.store.getPipeline("api_daily"))?.paused).toBe(false);
  });
});
