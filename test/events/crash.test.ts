// kill -9 of `weir dev` between recording events and starting their runs (and right after a run's delivery
// committed), then restart until every event's run succeeded. Proves: no event is lost, none starts two runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { decodeValue } from "../../src/worker/value-codec.js";
import { devUntil, withHomeStore } from "../support/weir-process.js";

const DIR = "test/events/fixtures-crash";
const EVENTS = 6;
const home = mkdtempSync(join(tmpdir(), "weir-events-crash-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const never = async (): Promise<boolean> => false;

it("a scheduler killed while taking events loses none and starts none twice", async () => {
  // The first scheduler registers the pipeline; the events arrive while it runs; it dies before committing the
  // third event's run.
  const first = await devUntil(DIR, home, { WEIR_TEST_CRASH_AT: "before_event_delivery:3" }, never, async () => {
    await withHomeStore(home, async (store) => {
      while ((await store.getPipeline("crash_orders")) === null) await new Promise((r) => setTimeout(r, 50));
      for (let n = 1; n <= EVENTS; n++) await store.events.recordEvent({ id: `evt_crash_${n}`, name: "orders.loaded", payload: { n } }, Date.now());
    });
  });
  expect(first).toBe("crashed");
  expect(await withHomeStore(home, async (store) => (await store.listRuns({ pipelineId: "crash_orders", limit: 100 })).length)).toBe(2);

  // The second dies right after committing its second delivery (the fourth in all).
  expect(await devUntil(DIR, home, { WEIR_TEST_CRASH_AT: "after_event_delivery:2" }, never)).toBe("crashed");

  const allDone = (): Promise<boolean> =>
    withHomeStore(home, async (store) => {
      const runs = await store.listRuns({ pipelineId: "crash_orders", limit: 100 });
      return runs.length >= EVENTS && runs.every((r) => r.state === "success");
    });
  expect(await devUntil(DIR, home, {}, allDone)).toBe("done");

  await withHomeStore(home, async (store) => {
    const runs = await store.listRuns({ pipelineId: "crash_orders", limit: 100 });
    expect(runs.length).toBe(EVENTS);
    const seen: number[] = [];
    for (let n = 1; n <= EVENTS; n++) {
      const event = await store.events.getEvent(`evt_crash_${n}`);
      expect(event?.deliveries.map((d) => d.outcome)).toEqual(["started"]);
      const run = runs.find((r) => r.id === event?.deliveries[0]?.runId);
      expect(run?.state).toBe("success");
      const output = (await store.getOutputs(run?.id ?? "", ["take"])).get("take");
      seen.push(decodeValue(output ?? "null") as number);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(runs.map((r) => r.logicalDateMs)).size).toBe(EVENTS);
  });
}, 150_000);
