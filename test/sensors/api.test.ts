// The API shows a deferred sensor: GET /api/v1/runs/:id/sensors says what it waits for, its checks and its
// next check while it waits (the scheduler in this process, the trigger loop a real child process).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ApiError, RunDetail, SensorWaitList } from "../../src/api/types.js";
import { startHarness, type Harness } from "../api/helpers.js";
import { waitFor } from "./harness.js";

let h: Harness;
let stopLoop: () => Promise<void>;
beforeAll(async () => {
  h = await startHarness({ root: join(import.meta.dirname, "fixtures") });
  const loop = spawn(process.execPath, [join(import.meta.dirname, "../../bin/weir.js"), "triggerer"], { env: { ...process.env, WEIR_HOME: h.home, WEIR_DATABASE_URL: "" }, stdio: ["ignore", "ignore", "inherit"] });
  stopLoop = () =>
    new Promise<void>((resolve) => {
      if (loop.exitCode !== null) return resolve();
      loop.once("exit", () => resolve());
      loop.kill("SIGTERM");
    });
}, 30_000);
afterAll(async () => {
  await stopLoop();
  await h.close();
});

it("shows what a deferred sensor waits for and its next check, then that it was answered", async () => {
  const path = join(h.home, "orders.csv");
  const created = await h.call<RunDetail>("POST", "/api/v1/pipelines/api_wait/runs", { params: { path } });
  expect(created.status).toBe(201);
  const runId = created.body.id;
  let list: SensorWaitList = { items: [] };
  await waitFor("two checks", async () => {
    list = (await h.call<SensorWaitList>("GET", `/api/v1/runs/${runId}/sensors`)).body;
    return (list.items[0]?.checks ?? 0) >= 2;
  });
  const wait = list.items[0];
  expect(wait).toMatchObject({ taskId: "landed", mapIndex: -1, tryNumber: 1, status: "waiting", waitsFor: "the orders file", pokeIntervalMs: 100, softFail: false });
  expect(Date.parse(wait?.nextCheckAt ?? "")).toBeGreaterThanOrEqual(Date.parse(wait?.lastCheckAt ?? ""));
  expect(Date.parse(wait?.timeoutAt ?? "") - Date.parse(wait?.firstCheckAt ?? "")).toBe(3_600_000);
  const detail = await h.call<RunDetail>("GET", `/api/v1/runs/${runId}`);
  expect(detail.body.taskCounts.landed).toMatchObject({ deferred: 1 });
  writeFileSync(path, "id\n");
  await waitFor("the run to end", async () => (await h.call<RunDetail>("GET", `/api/v1/runs/${runId}`)).body.state === "success");
  const after = (await h.call<SensorWaitList>("GET", `/api/v1/runs/${runId}/sensors`)).body.items[0];
  expect(after).toMatchObject({ status: "answered", nextCheckAt: null });
});

it("an unknown run is a 404; the route is in the OpenAPI document", async () => {
  const unknown = await h.call<ApiError>("GET", "/api/v1/runs/nope/sensors");
  expect(unknown.status).toBe(404);
  const doc = await h.call<{ paths: Record<string, unknown> }>("GET", "/api/v1/openapi.json");
  expect(Object.keys(doc.body.paths)).toContain("/api/v1/runs/{id}/sensors");
});
