// Deferred sensors need no worker slot, ever: a thousand wait while the only worker runs other tasks,
// and a sensor that becomes ready while every worker is busy is still handed to the trigger loop (the ready
// queue's no-worker lane), instead of staying `scheduled` until a worker frees up.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { runCleanup, setUp, waitFor } from "./harness.js";

afterEach(runCleanup);

const SENSORS = 1000;

const FILES = `
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { pipeline, fileSensor } from "weir";

// Runs until the test writes its release file: the only worker is busy meanwhile.
async function holdUntil(path: string): Promise<string> {
  while (!existsSync(path)) await sleep(20);
  return "released";
}

export const many = pipeline({ id: "many", schedule: null }, (p) => {
  const sensors = [];
  for (let i = 0; i < ${SENSORS}; i++) sensors.push(p.sensor(\`s\${i}\`, { pokeInterval: "1h" }, fileSensor({ path: "$DIR/gate/ready" })));
  const busy = p.task("busy", async () => holdUntil("$DIR/release-many"));
  p.task("next", { after: [busy] }, async () => "ran");
  p.task("all", { after: sensors }, async () => "all landed");
});

export const busy = pipeline({ id: "busy", schedule: null }, (p) => {
  // "long" takes the only worker first; "landed" becomes ready only once "first" is answered, meanwhile.
  p.task("long", { priority: 10 }, async () => holdUntil("$DIR/release-long"));
  const first = p.sensor("first", { pokeInterval: "100ms" }, fileSensor({ path: "$DIR/first.txt" }));
  const landed = p.sensor("landed", { pokeInterval: "100ms", after: [first] }, fileSensor({ path: "$DIR/late.txt" }));
  p.task("use", { needs: { landed } }, async (_ctx, { landed }) => landed.paths.length);
});
`;

it(`${SENSORS} waiting sensors hold no worker slot: with one worker, other tasks run while they all wait`, async () => {
  const h = await setUp({ "pipes.ts": FILES }, { workers: 1 });
  mkdirSync(join(h.dir, "gate"));
  const run = await h.trigger("many");
  const states = async (): Promise<Map<string, string>> => new Map((await h.store.listTaskInstances(run.id)).map((i) => [i.taskId, i.state]));
  await waitFor("every sensor deferred while busy runs", async () => {
    const now = await states();
    return now.get("busy") === "running" && [...now.keys()].filter((id) => id.startsWith("s") && now.get(id) === "deferred").length === SENSORS;
  }, 120_000);
  writeFileSync(join(h.dir, "release-many"), "");
  await waitFor("next to succeed while the sensors wait", async () => (await states()).get("next") === "success", 60_000);
  const now = await states();
  expect([...now].filter(([id, state]) => id.startsWith("s") && state !== "deferred")).toEqual([]);
  expect(now.get("all")).toBe("pending");
  // Nothing else runs now: the worker pool's only slot is free although a thousand sensors wait.
  await waitFor("the worker slot to be free", () => h.workers().freeSlots() === 1);
  expect((await h.store.sensors.listForRun(run.id)).filter((w) => w.state === "waiting")).toHaveLength(SENSORS);

  // The files land; a trigger loop answers every wait with one check each.
  writeFileSync(join(h.dir, "gate/ready"), "x");
  h.startTriggerer();
  expect((await h.waitRun(run.id, 120_000)).state).toBe("success");
  const waits = await h.store.sensors.listForRun(run.id);
  expect(waits.filter((w) => w.checks !== 1)).toEqual([]);
}, 240_000);

it("a sensor that becomes ready while every worker is busy is deferred at once, not left scheduled", async () => {
  const h = await setUp({ "pipes.ts": FILES }, { workers: 1 });
  h.startTriggerer();
  const run = await h.trigger("busy");
  await waitFor("long to run on the only worker", async () => (await h.instance(run.id, "long"))?.state === "running");
  writeFileSync(join(h.dir, "first.txt"), "x");
  await waitFor("the second sensor to be deferred while long holds the worker", async () => (await h.instance(run.id, "landed"))?.state === "deferred");
  expect((await h.instance(run.id, "first"))?.state).toBe("success");
  expect((await h.instance(run.id, "long"))?.state).toBe("running");
  expect(h.workers().freeSlots()).toBe(0);
  // Its wait began while the worker was busy: the file landing completes it, and "use" runs once long is done.
  expect((await h.store.sensors.listForRun(run.id)).find((w) => w.taskId === "landed")).toMatchObject({ state: "waiting" });
  writeFileSync(join(h.dir, "late.txt"), "x");
  await waitFor("the second sensor to succeed while long holds the worker", async () => (await h.instance(run.id, "landed"))?.state === "success");
  writeFileSync(join(h.dir, "release-long"), "");
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(await h.output(run.id, "use")).toBe(1);
});
