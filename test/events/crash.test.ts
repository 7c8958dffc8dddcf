// kill -9 of `weir dev` between recording events and starting their runs (and right after a run's delivery
// committed), then restart until every event's run succeeded. Proves: no event is lost, none starts two runs.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";
import { decodeValue } from "../../src/worker/value-codec.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const DIR = "test/events/fixtures-crash";
const EVENTS = 6;
const home = mkdtempSync(join(tmpdir(), "weir-events-crash-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs `weir dev` until it dies (its crash point) or `done` holds (then stops it). */
function dev(env: Record<string, string>, done: () => Promise<boolean>, started: () => Promise<void> = async () => {}): Promise<"crashed" | "done"> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/weir.js"), "dev", DIR], { cwd: ROOT, env: { ...process.env, WEIR_HOME: home, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    let finished = false;
    let kicked = false;
    const poll = setInterval(() => {
      void (async () => {
        if (!kicked) {
          kicked = true;
          await started();
        }
        if (!finished && (await done())) {
          finished = true;
          child.kill("SIGINT");
        }
      })();
    }, 200);
    const cap = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      clearInterval(poll);
      clearTimeout(cap);
      if (finished) resolve("done");
      else if (signal === "SIGKILL") resolve("crashed");
      else reject(new Error(`weir dev exited on its own: ${stderr}`));
    });
  });
}

async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ path: join(home, "weir.db") });
  try {
    await store.migrate();
    return await use(store);
  } finally {
    await store.close();
  }
}

const never = async (): Promise<boolean> => false;

it("a scheduler killed while taking events loses none and starts none twice", async () => {
  // The first scheduler registers the pipeline; the events arrive while it runs; it dies before committing the
  // third event's run.
  const first = await dev({ WEIR_TEST_CRASH_AT: "before_event_delivery:3" }, never, async () => {
    await withStore(async (store) => {
      while ((await store.getPipeline("crash_orders")) === null) await new Promise((r) => setTimeout(r, 50));
      for (let n = 1; n <= EVENTS; n++) await store.events.recordEvent({ id: `evt_crash_${n}`, name: "orders.loaded", payload: { n } }, Date.now());
    });
  });
  expect(first).toBe("crashed");
  expect(await withStore(async (store) => (await store.listRuns({ pipelineId: "crash_orders", limit: 100 })).length)).toBe(2);

  // The second dies right after committing its second delivery (the fourth in all).
  expect(await dev({ WEIR_TEST_CRASH_AT: "after_event_delivery:2" }, never)).toBe("crashed");

  const allDone = (): Promise<boolean> =>
    withStore(async (store) => {
      const runs = await store.listRuns({ pipelineId: "crash_orders", limit: 100 });
      return runs.length >= EVENTS && runs.every((r) => r.state === "success");
    });
  expect(await dev({}, allDone)).toBe("done");

  await withStore(async (store) => {
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
