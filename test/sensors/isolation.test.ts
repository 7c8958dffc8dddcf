// A check that hangs or throws costs only its own try: a hanging check is stopped at the per-check limit (its
// worker killed) and a throwing one fails its try, while another sensor of the same run completes meanwhile;
// a run canceled while its sensor waits ends canceled and the wait is checked no more.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { systemClock } from "../../src/scheduler/clock.js";
import { cancelRun } from "../../src/scheduler/commands/index.js";
import { runCleanup, setUp, waitFor } from "./harness.js";

afterEach(runCleanup);

const FILES = `
import { pipeline, fileSensor } from "weir";

// The pipeline's timeout default caps one check (a deferred sensor's try is one check).
export const isolated = pipeline({ id: "isolated", schedule: null, defaults: { timeout: "1s" } }, (p) => {
  p.sensor("hangs", { pokeInterval: "50ms" }, () => new Promise<boolean>(() => {}));
  p.sensor("throws", { pokeInterval: "50ms" }, () => { throw new Error("the check broke"); });
  p.sensor("fine", { pokeInterval: "50ms" }, fileSensor({ path: "$DIR/fine.txt" }));
});

export const waiting = pipeline({ id: "waiting", schedule: null }, (p) => {
  p.sensor("forever", { pokeInterval: "50ms" }, () => false);
});
`;

it("a hanging check is stopped at its limit and a throwing one fails its try; the other sensor completes", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  h.startTriggerer();
  const run = await h.trigger("isolated");
  await waitFor("the throwing sensor to fail", async () => (await h.instance(run.id, "throws"))?.state === "failed");
  writeFileSync(join(h.dir, "fine.txt"), "x");
  await waitFor("the fine sensor", async () => (await h.instance(run.id, "fine"))?.state === "success");
  expect((await h.waitRun(run.id)).state).toBe("failed");
  const tries = await h.store.listTries(run.id);
  expect(tries.find((t) => t.taskId === "throws")?.error).toMatchObject({ name: "Error", message: "the check broke" });
  expect(tries.find((t) => t.taskId === "hangs")?.error).toMatchObject({ name: "TaskTimeoutError", kind: "timeout" });
});

it("a run canceled while its sensor waits ends canceled, and the trigger loop stops checking it", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  h.startTriggerer();
  const run = await h.trigger("waiting");
  await waitFor("a few checks", async () => ((await h.store.sensors.listForRun(run.id))[0]?.checks ?? 0) >= 2);
  await cancelRun({ store: h.store, live: h.service, clock: systemClock }, run.id);
  expect((await h.waitRun(run.id)).state).toBe("canceled");
  expect((await h.instance(run.id, "forever"))?.state).toBe("canceled");
  // Nothing is due any more: the wait's instance left `deferred`.
  expect(await h.store.sensors.nextDueMs()).toBeNull();
});
