// Changing state through the API inside a live scheduler: cancel, clear and mark go through its coordinator
// (never written under a run it drives), backfills and pools through the shared commands; conflicts are 409
// and change nothing. Live events arrive over server-sent events.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackfillList, BackfillResponse, BackfillView, ClearResponse, MarkResponse, PoolList, PoolView, RunDetail, TryView } from "../../src/api/types.js";
import { apiError, startHarness, storeSnapshot, waitFor, type Harness } from "./helpers.js";
import { nextEvent } from "./live-events.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const runOf = async (id: string): Promise<RunDetail> => (await h.call<RunDetail>("GET", `/api/v1/runs/${id}`)).body;
const trigger = async (pipeline: string, body: unknown = {}): Promise<string> => {
  const answer = await h.call<RunDetail>("POST", `/api/v1/pipelines/${pipeline}/runs`, body);
  expect(answer.status, answer.text).toBe(201);
  return answer.body.id;
};
const ended = (id: string) => waitFor(`run ${id} to end`, async () => {
  const run = await runOf(id);
  return ["success", "failed", "canceled"].includes(run.state) && run;
});
const stateOf = async (runId: string, task: string): Promise<string | undefined> => (await h.store.listTaskInstances(runId)).find((i) => i.taskId === task)?.state;

describe("operate", () => {
  it("delivers a task turning success as a server-sent event", async () => {
    let runId = "";
    const event = await nextEvent(
      h.url,
      (e) => e.kind === "task" && e.runId === runId && e.taskId === "report" && e.state === "success",
      async () => {
        runId = await trigger("api_params", { params: { n: 4 } });
      },
    );
    expect(event).toMatchObject({ kind: "task", taskId: "report", mapIndex: -1, state: "success", tryNumber: 1 });
    const paused = await nextEvent(h.url, (e) => e.kind === "pipeline", async () => {
      expect((await h.call("POST", "/api/v1/pipelines/api_params/pause")).status).toBe(200);
    });
    expect(paused).toEqual({ kind: "pipeline", pipeline: "api_params", paused: true });
    await h.call("POST", "/api/v1/pipelines/api_params/unpause");
  });

  it("clears a failed task so it runs again, refuses to clear a running one (409), and cancels a running run", async () => {
    h.marker("fail", true);
    h.marker("hold", true);
    const runId = await trigger("api_ops");
    await waitFor("flaky to fail and hold to run", async () => (await stateOf(runId, "flaky")) === "failed" && existsSync(join(h.home, "hold-started")));
    expect(await stateOf(runId, "hold")).toBe("running");

    const before = await storeSnapshot(h.store);
    const running = apiError(await h.call("POST", `/api/v1/runs/${runId}/clear`, { tasks: ["hold"] }), 409);
    expect(running).toMatchObject({ code: "task_not_ended" });
    expect(running.message).toMatch(/task hold of run \S+ is running/);
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/clear`, { tasks: ["nope"] }), 404).code).toBe("task_not_found");
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/clear`, { tasks: "flaky" }), 400).message).toMatch(/tasks must be an array of strings/);
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/clear`, { downstream: "yes" }), 400).message).toMatch(/downstream must be true or false/);
    expect(apiError(await h.call("POST", "/api/v1/runs/nope/clear", {}), 404).code).toBe("run_not_found");
    expect(await storeSnapshot(h.store)).toEqual(before);

    // The run is still running (hold): the clear goes through the scheduler's coordinator.
    h.marker("fail", false);
    const cleared = await h.call<ClearResponse>("POST", `/api/v1/runs/${runId}/clear`, { tasks: ["flaky"], downstream: true });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.cleared.map((c) => [c.taskId, c.from])).toEqual([["flaky", "failed"], ["report", "upstream_failed"]]);
    expect(cleared.body.takenOverBy).toBe("this process");
    await waitFor("flaky to succeed on try 2", async () => (await stateOf(runId, "flaky")) === "success");
    expect((await h.call<TryView[]>("GET", `/api/v1/runs/${runId}/tasks/flaky/tries`)).body.map((t) => t.state)).toEqual(["failed", "success"]);

    const canceled = await h.call<RunDetail>("POST", `/api/v1/runs/${runId}/cancel`);
    expect(canceled.status, canceled.text).toBe(200);
    expect((await ended(runId)).state).toBe("canceled");
    expect(await stateOf(runId, "hold")).toBe("canceled");
    const again = apiError(await h.call("POST", `/api/v1/runs/${runId}/cancel`), 409);
    expect(again).toMatchObject({ code: "run_ended" });
    h.marker("hold", false);
  });

  it("marks a task failed and success; an ended run is judged again", async () => {
    const runId = await trigger("api_ops");
    expect((await ended(runId)).state).toBe("success");
    const failed = await h.call<MarkResponse>("POST", `/api/v1/runs/${runId}/tasks/report/mark`, { state: "failed" });
    expect(failed.status, failed.text).toBe(200);
    expect(failed.body.instance).toMatchObject({ taskId: "report", state: "failed" });
    expect(failed.body.run.state).toBe("failed");
    const success = await h.call<MarkResponse>("POST", `/api/v1/runs/${runId}/tasks/report/mark`, { state: "success" });
    expect(success.body.run.state).toBe("success");
    const before = await storeSnapshot(h.store);
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/tasks/report/mark`, { state: "success" }), 409).code).toBe("task_already_marked");
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/tasks/report/mark`, { state: "green" }), 422).message).toMatch(/state must be one of success, failed/);
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/tasks/report/mark`, {}), 400).message).toMatch(/state is required/);
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/tasks/report/mark`, { state: "failed", mapIndex: 1.5 }), 422).message).toMatch(/mapIndex must be a whole number/);
    expect(apiError(await h.call("POST", `/api/v1/runs/${runId}/tasks/nope/mark`, { state: "failed" }), 404).code).toBe("task_not_found");
    expect(await storeSnapshot(h.store)).toEqual(before);
  });

  it("marks a running task success through the coordinator: its try is stopped", async () => {
    h.marker("hold", true);
    const runId = await trigger("api_ops");
    await waitFor("hold to run", async () => (await stateOf(runId, "hold")) === "running" && existsSync(join(h.home, "hold-started")));
    const marked = await h.call<MarkResponse>("POST", `/api/v1/runs/${runId}/tasks/hold/mark`, { state: "success" });
    expect(marked.status, marked.text).toBe(200);
    expect((await ended(runId)).state).toBe("success");
    h.marker("hold", false);
  });

  it("previews a backfill without writing, creates it, lists it and cancels it", async () => {
    const before = await storeSnapshot(h.store);
    const dry = await h.call<BackfillResponse>("POST", "/api/v1/backfills", { pipeline: "api_daily", from: "2025-09-01", to: "2025-09-03", dryRun: true });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.body.backfill).toBeNull();
    expect(dry.body.intervals.map((i) => [i.logicalDate.slice(0, 10), i.action, i.detail])).toEqual([
      ["2025-09-01", "create", "create"],
      ["2025-09-02", "create", "create"],
      ["2025-09-03", "create", "create"],
    ]);
    const bad: [unknown, number, RegExp][] = [
      [{ pipeline: "nope", from: "2025-09-01", to: "2025-09-03" }, 404, /no pipeline "nope"/],
      [{ pipeline: "api_daily", from: "2025-09-01" }, 400, /to is required/],
      [{ pipeline: "api_daily", from: "2025-09-01", to: "2025-09-03", concurrency: 0 }, 422, /concurrency must be a whole number ≥ 1/],
      [{ pipeline: "api_daily", from: "2025-09-01", to: "2025-09-03", concurrency: "2" }, 400, /concurrency must be a number/],
      [{ pipeline: "api_daily", from: "2025-09-01", to: "2025-09-03", reprocess: "some" }, 422, /reprocess must be one of none, failed, all/],
      [{ pipeline: "api_daily", from: "soon", to: "2025-09-03" }, 422, /logical date "soon"/],
      [{ pipeline: "api_params", from: "2025-09-01", to: "2025-09-03" }, 422, /./],
    ];
    for (const [body, status, message] of bad) expect(apiError(await h.call("POST", "/api/v1/backfills", body), status).message, JSON.stringify(body)).toMatch(message);
    expect(await storeSnapshot(h.store)).toEqual(before);

    // Paused, so its runs wait queued and the cancel finds it running.
    await h.call("POST", "/api/v1/pipelines/api_daily/pause");
    h.marker("hold", false);
    const created = await h.call<BackfillResponse>("POST", "/api/v1/backfills", { pipeline: "api_daily", from: "2025-09-01", to: "2025-09-03", concurrency: 1 });
    expect(created.status, created.text).toBe(201);
    const backfill = created.body.backfill as BackfillView;
    expect(backfill).toMatchObject({ pipeline: "api_daily", state: "running", concurrency: 1, reprocess: "none" });
    const list = (await h.call<BackfillList>("GET", "/api/v1/backfills?pipeline=api_daily")).body;
    expect(list.items.map((b) => b.id)).toEqual([backfill.id]);
    expect(Object.values(list.items[0]?.runCounts ?? {}).reduce((a, b) => a + (b ?? 0), 0)).toBe(3);
    await waitFor("the backfill to end", async () => {
      const b = (await h.call<BackfillList>("GET", "/api/v1/backfills?pipeline=api_daily")).body.items[0];
      return b?.state === "success" || (b?.state === "running" && (await h.call<BackfillView>("POST", `/api/v1/backfills/${backfill.id}/cancel`)).status === 200);
    });
    const after = (await h.call<BackfillList>("GET", "/api/v1/backfills")).body.items[0];
    expect(["success", "canceled"]).toContain(after?.state);
    expect(apiError(await h.call("POST", `/api/v1/backfills/${backfill.id}/cancel`), 409).code).toBe("backfill_ended");
    expect(apiError(await h.call("POST", "/api/v1/backfills/nope/cancel"), 404).code).toBe("backfill_not_found");
    await h.call("POST", "/api/v1/pipelines/api_daily/unpause");
  });

  it("lists pools and creates or resizes one; bad pools change nothing", async () => {
    const put = await h.call<PoolView>("PUT", "/api/v1/pools/narrow", { slots: 2, description: "a small pool" });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({ name: "narrow", slots: 2, used: 0, queued: 0, description: "a small pool" });
    const list = (await h.call<PoolList>("GET", "/api/v1/pools")).body;
    expect(list.items.map((p) => p.name)).toEqual(["default", "narrow"]);
    const before = await storeSnapshot(h.store);
    expect(apiError(await h.call("PUT", "/api/v1/pools/narrow", { slots: -1 }), 422).message).toMatch(/slots must be a whole number ≥ 0/);
    expect(apiError(await h.call("PUT", "/api/v1/pools/narrow", { slots: "3" }), 400).message).toMatch(/slots must be a number/);
    expect(apiError(await h.call("PUT", "/api/v1/pools/bad%20name", { slots: 3 }), 422).message).toMatch(/Pool name/);
    expect(apiError(await h.call("PUT", "/api/v1/pools/narrow", "[]"), 400).message).toMatch(/must be a JSON object/);
    expect(await storeSnapshot(h.store)).toEqual(before);
  });

  it("serves health and Prometheus metrics", async () => {
    expect((await h.call("GET", "/healthz")).body).toEqual({ ok: true, store: "sqlite", scheduler: { live: true, inProcess: true } });
    const metrics = await h.call<string>("GET", "/metrics");
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0.0.4/);
    expect(metrics.text).toMatch(/^weir_runs\{state="success"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^weir_tries\{state="success"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^weir_scheduler_tick_seconds_count [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^weir_scheduler_commit_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^weir_ready_queue_depth \d+$/m);
    expect(metrics.text).toMatch(/^weir_workers 2$/m);
  });
});
