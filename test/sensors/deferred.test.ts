// Deferred sensors end to end: the wait holds no worker slot (with one worker, another task runs while the
// sensor waits), the sensor's value reaches its downstream, a timeout fails it or (softFail) skips it, worker
// mode loops inside one try, and the trigger loop killed with -9 and started again resumes the wait with its
// elapsed time intact. One case runs on Postgres end to end.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { runCleanup, setUp, waitFor } from "./harness.js";

afterEach(runCleanup);

const FILES = `
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { pipeline, fileSensor } from "weir";

export const waitFile = pipeline({ id: "wait_file", schedule: null }, (p) => {
  // With one worker, "land" can only run if the waiting sensor holds no slot (as a worker-mode sensor would).
  const landed = p.sensor("landed", { pokeInterval: "100ms", priority: 10 }, fileSensor({ path: "$DIR/in/*.csv", nonEmpty: true }));
  p.task("land", { priority: 1 }, async () => { writeFileSync("$DIR/in/orders.csv", "id\\n1\\n"); return "landed"; });
  p.task("use", { needs: { landed } }, async (_ctx, { landed }) => landed.paths.map((path) => path.split("/").pop()));
});

export const timesOut = pipeline({ id: "times_out", schedule: null }, (p) => {
  p.sensor("never", { pokeInterval: "100ms", timeout: "500ms" }, fileSensor({ path: "$DIR/never.txt" }));
});

export const softFails = pipeline({ id: "soft_fails", schedule: null }, (p) => {
  const never = p.sensor("never", { pokeInterval: "100ms", timeout: "500ms", softFail: true }, () => false);
  p.task("after", { after: [never], trigger: "all_done" }, async () => "ran");
});

export const value = pipeline({ id: "value", schedule: null }, (p) => {
  // Not yet twice (counted in a file: each check may run in another process), then a value.
  const found = p.sensor("found", { pokeInterval: "50ms" }, async (ctx) => {
    const seen = existsSync("$DIR/count") ? Number(readFileSync("$DIR/count", "utf8")) : 0;
    writeFileSync("$DIR/count", String(seen + 1));
    return seen < 2 ? false : { rows: 42, at: ctx.logicalDate };
  });
  p.task("double", { needs: { found } }, async (_ctx, { found }) => found.rows * 2);
});

export const inWorker = pipeline({ id: "in_worker", schedule: null }, (p) => {
  const landed = p.sensor("landed", { mode: "worker", pokeInterval: "50ms" }, fileSensor({ path: "$DIR/worker.txt" }));
  p.task("use", { needs: { landed } }, async (_ctx, { landed }) => landed.paths.length);
});

export const slow = pipeline({ id: "slow", schedule: null }, (p) => {
  p.sensor("slow", { pokeInterval: "200ms", timeout: "4s" }, fileSensor({ path: "$DIR/slow.txt" }));
});
`;

it("a deferred file sensor waits without a worker slot, completes when the file lands, and passes its value on", async () => {
  const h = await setUp({ "pipes.ts": FILES }, { workers: 1 });
  (await import("node:fs")).mkdirSync(join(h.dir, "in"));
  h.startTriggerer();
  const run = await h.trigger("wait_file");
  const ended = await h.waitRun(run.id);
  expect(ended.state).toBe("success");
  // The sensor was handed off while the other task ran on the only worker (in the same tick: the hand-off
  // needs no slot), and land's file is what it waited for: it held no slot meanwhile.
  expect(h.seen.indexOf("landed:deferred")).toBeGreaterThanOrEqual(0);
  expect(h.seen.indexOf("landed:running")).toBeLessThan(h.seen.indexOf("land:success"));
  expect(h.seen.indexOf("land:success")).toBeLessThan(h.seen.indexOf("landed:success"));
  expect(await h.output(run.id, "use")).toEqual(["orders.csv"]);
  const waits = await h.store.sensors.listForRun(run.id);
  expect(waits).toEqual([expect.objectContaining({ taskId: "landed", state: expect.stringMatching(/done|delivered/), waitsFor: `file ${h.dir}/in/*.csv` })]);
  expect(waits[0]?.checks).toBeGreaterThanOrEqual(1);
});

it("a check's value is the sensor's output, typed for its downstream", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  h.startTriggerer();
  const run = await h.trigger("value");
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(await h.output(run.id, "double")).toBe(84);
  expect(await h.output(run.id, "found")).toMatchObject({ rows: 42 });
  expect((await h.store.sensors.listForRun(run.id))[0]?.checks).toBe(3);
});

it("a sensor past its timeout fails; with softFail it is skipped and all_done downstream runs", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  h.startTriggerer();
  const failing = await h.trigger("times_out");
  const soft = await h.trigger("soft_fails");
  expect((await h.waitRun(failing.id)).state).toBe("failed");
  const tries = await h.store.listTries(failing.id);
  expect(tries).toEqual([expect.objectContaining({ taskId: "never", state: "failed", error: expect.objectContaining({ name: "SensorTimeoutError" }) })]);
  expect((await h.waitRun(soft.id)).state).toBe("success");
  expect((await h.instance(soft.id, "never"))?.state).toBe("skipped");
  expect(await h.output(soft.id, "after")).toBe("ran");
});

it("worker mode checks in a loop inside one try holding its slot, no trigger loop needed", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  const run = await h.trigger("in_worker");
  await waitFor("the sensor's try to run", async () => (await h.instance(run.id, "landed"))?.state === "running");
  writeFileSync(join(h.dir, "worker.txt"), "x");
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(h.seen).not.toContain("landed:deferred");
  expect(await h.output(run.id, "use")).toBe(1);
});

it("a trigger loop killed with -9 and started again resumes the wait with its elapsed time intact", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  const first = h.startTriggerer();
  const run = await h.trigger("slow");
  await waitFor("a few checks", async () => ((await h.store.sensors.listForRun(run.id))[0]?.checks ?? 0) >= 2);
  const before = (await h.store.sensors.listForRun(run.id))[0];
  await h.kill(first);
  h.startTriggerer();
  await waitFor("more checks by the new loop", async () => ((await h.store.sensors.listForRun(run.id))[0]?.checks ?? 0) > (before?.checks ?? 0));
  const after = (await h.store.sensors.listForRun(run.id))[0];
  // The first-check time is durable: the timeout still counts from the first check before the kill.
  expect(after?.firstCheckMs).toBe(before?.firstCheckMs);
  expect((await h.waitRun(run.id)).state).toBe("failed");
  const tries = await h.store.listTries(run.id);
  expect(tries.map((t) => t.error?.name)).toEqual(["SensorTimeoutError"]);
});

it("a scheduler restart resumes every waiting sensor: the wait goes on and completes once", async () => {
  const h = await setUp({ "pipes.ts": FILES });
  h.startTriggerer();
  const run = await h.trigger("slow");
  await waitFor("the sensor to be deferred", async () => (await h.instance(run.id, "slow"))?.state === "deferred");
  const before = (await h.store.sensors.listForRun(run.id))[0];
  await h.service.stop();
  await h.restart();
  writeFileSync(join(h.dir, "slow.txt"), "x");
  expect((await h.waitRun(run.id)).state).toBe("success");
  const tries = await h.store.listTries(run.id);
  expect(tries.map((t) => [t.tryNumber, t.state])).toEqual([[1, "success"]]);
  expect((await h.store.sensors.listForRun(run.id))[0]?.firstCheckMs).toBe(before?.firstCheckMs);
});

it("on Postgres: the scheduler and the trigger loop hand a sensor over through the store, and it completes", async () => {
  const h = await setUp({ "pipes.ts": FILES }, { workers: 1, kind: "postgres" });
  (await import("node:fs")).mkdirSync(join(h.dir, "in"));
  h.startTriggerer();
  const run = await h.trigger("wait_file");
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(h.seen.indexOf("landed:deferred")).toBeGreaterThanOrEqual(0);
  expect(h.seen.indexOf("landed:running")).toBeLessThan(h.seen.indexOf("land:success"));
  expect(await h.output(run.id, "use")).toEqual(["orders.csv"]);
});
