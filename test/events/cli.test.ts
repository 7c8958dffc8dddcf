// `weir emit` and `weir events`, as a user runs them (bin/weir.js): against the store directly, and with
// --server against a running `weir dev` whose scheduler starts the subscribed pipeline's runs.
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import type { EventView } from "../../src/api/types.js";
import { makeHome, ROOT, type Home } from "../cli/helpers.js";

const FIXTURES = "test/events/fixtures";
let home: Home | null = null;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill("SIGINT");
    await new Promise((r) => child.once("close", r));
  }
  home?.remove();
  home = null;
});

async function serveDev(h: Home): Promise<string> {
  const child = spawn(process.execPath, ["bin/weir.js", "dev", FIXTURES, "--port", "0"], { cwd: ROOT, env: { ...process.env, WEIR_HOME: h.dir, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const until = Date.now() + 30_000;
  for (;;) {
    const url = /(?:UI and API on|serving the UI and API on) (http:\/\/\S+)/.exec(stderr)?.[1];
    if (url) return url;
    if (Date.now() > until) throw new Error(`weir dev did not serve: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it("emit records an event in the store (exit 0, its id on stdout); events lists it; bad input is exit 2 and writes nothing", async () => {
  home = makeHome();
  const emitted = await home.weir(["emit", "orders.loaded", "--data", '{"rows": 3}']);
  expect(emitted.code, emitted.stderr).toBe(0);
  expect(emitted.stdout.trim()).toMatch(/^evt_\w+$/);
  expect(emitted.stderr).toMatch(/recorded no pipeline is scheduled by it/);
  const listed = await home.weir(["events", "--json"]);
  expect(listed.code, listed.stderr).toBe(0);
  const { events } = JSON.parse(listed.stdout) as { events: EventView[] };
  expect(events.map((e) => ({ id: e.id, name: e.name, payload: e.payload }))).toEqual([{ id: emitted.stdout.trim(), name: "orders.loaded", payload: { rows: 3 } }]);

  const badJson = await home.weir(["emit", "orders.loaded", "--data", "{rows"]);
  expect(badJson.code).toBe(2);
  expect(badJson.stderr).toMatch(/--data must be JSON/);
  const badName = await home.weir(["emit", "bad name"]);
  expect(badName.code).toBe(2);
  expect(badName.stderr).toMatch(/event name "bad name" is not valid/);
  expect((JSON.parse((await home.weir(["events", "--json"])).stdout) as { events: unknown[] }).events.length).toBe(1);
}, 60_000);

it("with --server: the event goes through the API, the scheduler starts the run, and `weir events` shows the run it started", async () => {
  home = makeHome();
  const url = await serveDev(home);
  const emitted = await home.weir(["emit", "orders.loaded", "--data", '{"rows": 5}', "--server", url, "--json"]);
  expect(emitted.code, emitted.stderr).toBe(0);
  const { event } = JSON.parse(emitted.stdout) as { event: EventView };
  expect(event.subscribers).toEqual(["on_orders", "order_batches"]);
  const until = Date.now() + 30_000;
  let shown: EventView | undefined;
  while (Date.now() < until) {
    const listed = await home.weir(["events", "--name", "orders.loaded", "--server", url, "--json"]);
    shown = (JSON.parse(listed.stdout) as { events: EventView[] }).events[0];
    if (shown?.runIds.length === 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(shown?.deliveries).toEqual([expect.objectContaining({ pipeline: "on_orders", outcome: "started" })]);
  const text = await home.weir(["events", "--server", url]);
  expect(text.stdout).toContain(`${event.id}  orders.loaded  on_orders: started ${shown?.runIds[0]}; pending: order_batches`);
}, 60_000);
