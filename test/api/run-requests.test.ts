// Run requests (migration 0004): what `weir server` writes for a run a scheduler in another process drives.
// The scheduler takes each on its next pass: handed to its coordinator and marked done by the decision that
// carries it out (its own transaction), or refused when it does not drive the run; a request is finished once.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunDetail } from "../../src/api/types.js";
import { startHarness, waitFor, type Harness } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

it("hands a pending request for a run it drives to the coordinator, and refuses one for a run it does not", async () => {
  h.marker("hold", true);
  const answer = await h.call<RunDetail>("POST", "/api/v1/pipelines/api_ops/runs", {});
  const runId = answer.body.id;
  await waitFor("hold to run", async () => existsSync(join(h.home, "hold-started")));

  await h.store.submitRunRequest({ id: "request_1", runId, event: { kind: "run_cancel_requested", reason: "asked over the store" } }, Date.now());
  await h.store.submitRunRequest({ id: "request_2", runId: "no_such_run", event: { kind: "run_cancel_requested" } }, Date.now());
  await h.store.submitRunRequest({ id: "request_3", runId, event: { kind: "run_started" } }, Date.now());
  expect((await h.store.pendingRunRequests(10)).map((r) => r.id).sort()).toEqual(["request_1", "request_2", "request_3"]);

  await waitFor("the requests to be taken", async () => (await h.store.pendingRunRequests(10)).length === 0);
  expect(await h.store.getRunRequest("request_1")).toMatchObject({ state: "done", message: null, event: { kind: "run_cancel_requested" } });
  expect((await h.store.getRunRequest("request_2"))?.state).toBe("refused");
  expect((await h.store.getRunRequest("request_2"))?.message).toMatch(/run no_such_run is not driven by the scheduler/);
  expect((await h.store.getRunRequest("request_3"))?.message).toMatch(/does not take run_started requests/);
  // "done" is written by the decision that carried the cancel out: the run is canceled in the same commit.
  expect((await h.store.getRun(runId))?.state).toBe("canceled");
  expect(await h.store.finishRunRequest("request_1", "refused", "again", Date.now())).toBe(false);
  h.marker("hold", false);
});

it("keeps a request for a run it doesn't drive yet (queued, not started) pending, and carries it out once it drives the run", async () => {
  h.marker("hold", true);
  const answer = await h.call<RunDetail>("POST", "/api/v1/pipelines/api_ops/runs", {});
  const source = await h.store.getRun(answer.body.id);
  if (source === null) throw new Error("the triggered run is missing");
  const taskIds = [...new Set((await h.store.listTaskInstances(source.id)).map((i) => i.taskId))];
  // Created in the store without waking the scheduler: its next pass serves requests before it starts queued
  // runs, so the request is read while nobody drives the run.
  const { pipelineId, version, params, file } = source;
  const now = Date.now();
  await h.store.createRun({ id: "run_queued_1", pipelineId, version, trigger: "manual", logicalDateMs: now, intervalStartMs: now, intervalEndMs: now, params, file, owner: null, taskIds }, now);
  await h.store.submitRunRequest({ id: "request_queued", runId: "run_queued_1", event: { kind: "run_cancel_requested", reason: "asked before it started" } }, now);

  await waitFor("the request to be taken", async () => (await h.store.getRunRequest("request_queued"))?.state !== "pending");
  expect(await h.store.getRunRequest("request_queued")).toMatchObject({ state: "done", message: null });
  expect((await h.store.getRun("run_queued_1"))?.state).toBe("canceled");
  await h.call("POST", `/api/v1/runs/${source.id}/cancel`, {});
  h.marker("hold", false);
});
