// Live events of commands that write a run themselves: mark and clear on an ended run (no scheduler drives
// it, so no coordinator reports its instances) send the task events of every instance they changed, before
// the run's own event, to every /api/v1/events client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveEvent, RunDetail } from "../../src/api/types.js";
import { startHarness, waitFor, type Harness } from "./helpers.js";
import { eventsUntil } from "./live-events.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const tasksOf = (events: LiveEvent[], runId: string) => events.flatMap((e) => (e.kind === "task" && e.runId === runId ? [{ taskId: e.taskId, state: e.state, tryNumber: e.tryNumber }] : []));

describe("live events of mark and clear on a run no scheduler drives", () => {
  it("sends the instances a mark and a clear changed, then the run", async () => {
    const created = await h.call<RunDetail>("POST", "/api/v1/pipelines/api_ops/runs", {});
    expect(created.status, created.text).toBe(201);
    const runId = created.body.id;
    await waitFor(`run ${runId} to succeed`, async () => (await h.call<RunDetail>("GET", `/api/v1/runs/${runId}`)).body.state === "success");

    const marked = await eventsUntil(
      h.url,
      (e) => e.kind === "run" && e.run.id === runId,
      async () => {
        expect((await h.call("POST", `/api/v1/runs/${runId}/tasks/report/mark`, { state: "failed" })).status).toBe(200);
      },
    );
    expect(tasksOf(marked, runId)).toEqual([{ taskId: "report", state: "failed", tryNumber: 1 }]);
    expect(marked.at(-1)).toMatchObject({ kind: "run", run: { id: runId, state: "failed" } });

    // Clearing flaky and its downstream: both go back to pending with a new try, and the run runs again.
    const cleared = await eventsUntil(
      h.url,
      (e) => e.kind === "run" && e.run.id === runId,
      async () => {
        expect((await h.call("POST", `/api/v1/runs/${runId}/clear`, { tasks: ["flaky"], downstream: true })).status).toBe(200);
      },
    );
    // The clear's own events come first; the scheduler, which adopts the run at once, may add flaky's next steps.
    const changed = tasksOf(cleared, runId);
    expect(changed.slice(0, 2)).toEqual([{ taskId: "flaky", state: "pending", tryNumber: 1 }, { taskId: "report", state: "pending", tryNumber: 1 }]);
    expect(cleared.at(-1)).toMatchObject({ kind: "run", run: { id: runId, state: "running" } });
    await waitFor(`run ${runId} to succeed again`, async () => (await h.call<RunDetail>("GET", `/api/v1/runs/${runId}`)).body.state === "success");
  });
});
