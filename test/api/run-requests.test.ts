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
