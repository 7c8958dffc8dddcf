// The built-in sensors against real things: files (a glob, non-empty and stable), a real loopback HTTP server,
// a real SQLite file and a real Postgres database (queried by the trigger loop), a real second pipeline's task
// and run for the same logical date or an offset, and the time sensors.
import Database from "better-sqlite3";
import { createServer, type Server } from "node:http";
import { writeFileSync, utimesSync, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { freshPostgresUrl, withClient } from "../support/postgres.js";
import { runCleanup, setUp, waitFor, cleanup } from "./harness.js";

afterEach(runCleanup);

it("fileSensor: a glob's file must be non-empty and stable before it counts", async () => {
  const h = await setUp({
    "files.ts": `
import { pipeline, fileSensor } from "weir";
export default pipeline({ id: "stable", schedule: null }, (p) => {
  p.sensor("landed", { pokeInterval: "50ms" }, fileSensor({ path: "$DIR/in/part-*.csv", nonEmpty: true, stableFor: "1h" }));
});`,
  });
  mkdirSync(join(h.dir, "in"));
  h.startTriggerer();
  const run = await h.trigger("stable");
  const checks = async (): Promise<number> => (await h.store.sensors.listForRun(run.id))[0]?.checks ?? 0;
  writeFileSync(join(h.dir, "in", "part-1.csv"), "");
  const seen = await checks();
  await waitFor("checks of the empty file", async () => (await checks()) > seen + 1);
  writeFileSync(join(h.dir, "in", "part-1.csv"), "id\n1\n");
  const fresh = await checks();
  await waitFor("checks of the fresh file", async () => (await checks()) > fresh + 1);
  expect((await h.instance(run.id, "landed"))?.state).toBe("deferred");
  // Last written two hours ago: stable.
  const past = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(join(h.dir, "in", "part-1.csv"), past, past);
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(await h.output(run.id, "landed")).toEqual({ paths: [join(h.dir, "in", "part-1.csv")] });
});

it("httpSensor: waits for a loopback endpoint's status and body", async () => {
  let ready = false;
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    res.writeHead(ready ? 200 : 503).end(ready ? "status: ok" : "warming up");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const h = await setUp({
    "http.ts": `
import { pipeline, httpSensor } from "weir";
export default pipeline({ id: "http_ready", schedule: null }, (p) => {
  const up = p.sensor("up", { pokeInterval: "50ms" }, httpSensor({ url: "http://127.0.0.1:${port}/ready", body: (text) => text.includes("ok") }));
  p.task("status", { needs: { up } }, async (_ctx, { up }) => up.status);
});`,
  });
  h.startTriggerer();
  const run = await h.trigger("http_ready");
  await waitFor("a few 503s", () => requests >= 2);
  ready = true;
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(await h.output(run.id, "status")).toBe(200);
});

it("sqlSensor: a SQLite file's query returns a row (the output); a truthy first column on Postgres", async () => {
  const h = await setUp({});
  const file = join(h.home, "warehouse.db");
  const db = new Database(file);
  db.exec("CREATE TABLE loads (day TEXT, rows INTEGER)");
  cleanup.push(() => {
    db.close();
  });
  const pgUrl = await freshPostgresUrl({ migrated: false });
  await withClient(pgUrl, (c) => c.query("CREATE TABLE flags (name TEXT PRIMARY KEY, up BOOLEAN)"));
  await withClient(pgUrl, (c) => c.query("INSERT INTO flags VALUES ('ready', false)"));
  writeFileSync(
    join(h.dir, "sql.ts"),
    `
import { pipeline, sqlSensor } from "weir";
export default pipeline({ id: "sql_wait", schedule: null }, (p) => {
  const loaded = p.sensor("loaded", { pokeInterval: "50ms" }, sqlSensor({ url: ${JSON.stringify(file)}, query: "SELECT day, rows FROM loads WHERE day = ?", params: ["2025-09-01"] }));
  const flag = p.sensor("flag", { pokeInterval: "50ms" }, sqlSensor({ url: ${JSON.stringify(pgUrl)}, query: "SELECT up FROM flags WHERE name = $1", params: ["ready"], until: "truthy" }));
  p.task("rows", { needs: { loaded, flag } }, async (_ctx, { loaded }) => loaded.rows);
});`,
  );
  await h.service.stop();
  await h.restart();
  h.startTriggerer();
  const run = await h.trigger("sql_wait");
  await waitFor("both sensors to check", async () => (await h.store.sensors.listForRun(run.id)).filter((w) => w.checks >= 1).length === 2);
  db.prepare("INSERT INTO loads VALUES (?, ?)").run("2025-09-01", 1200);
  await waitFor("the SQLite sensor", async () => (await h.instance(run.id, "loaded"))?.state === "success");
  expect((await h.instance(run.id, "flag"))?.state).toBe("deferred");
  await withClient(pgUrl, (c) => c.query("UPDATE flags SET up = true"));
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(await h.output(run.id, "rows")).toBe(1200);
  const waits = await h.store.sensors.listForRun(run.id);
  // The URL is shown without its password.
  expect(waits.find((w) => w.taskId === "flag")?.waitsFor).not.toContain(new URL(pgUrl).password || "\u0000");
});

const EXTERNAL = `
import { writeFileSync } from "node:fs";
import { pipeline, externalTaskSensor } from "weir";
import { z } from "zod";

export const ingest = pipeline({ id: "ingest", schedule: null, params: z.object({ fail: z.boolean().default(false) }) }, (p) => {
  p.task("load", async (ctx) => { if (ctx.params.fail) throw new Error("load broke"); return "loaded"; });
});

export const report = pipeline({ id: "report", schedule: null }, (p) => {
  const same = p.sensor("same_day", { pokeInterval: "50ms" }, externalTaskSensor({ pipeline: "ingest", task: "load" }));
  const before = p.sensor("day_before", { pokeInterval: "50ms" }, externalTaskSensor({ pipeline: "ingest", offset: "-1d" }));
  p.task("use", { needs: { same, before } }, async (_ctx, { same, before }) => [same.state, before.state]);
});

export const strict = pipeline({ id: "strict", schedule: null }, (p) => {
  p.sensor("same_day", { pokeInterval: "50ms" }, externalTaskSensor({ pipeline: "ingest", task: "load" }));
});
`;

it("externalTaskSensor: another pipeline's task for the same logical date, and its run for the day before", async () => {
  const h = await setUp({ "external.ts": EXTERNAL });
  h.startTriggerer();
  const run = await h.trigger("report", undefined, "2025-09-02");
  await waitFor("both sensors to check", async () => (await h.store.sensors.listForRun(run.id)).filter((w) => w.checks >= 1).length === 2);
  const day = await h.trigger("ingest", undefined, "2025-09-02");
  expect((await h.waitRun(day.id)).state).toBe("success");
  await waitFor("the same-day sensor", async () => (await h.instance(run.id, "same_day"))?.state === "success");
  expect((await h.instance(run.id, "day_before"))?.state).toBe("deferred");
  const before = await h.trigger("ingest", undefined, "2025-09-01");
  expect((await h.waitRun(before.id)).state).toBe("success");
  expect((await h.waitRun(run.id)).state).toBe("success");
  expect(await h.output(run.id, "use")).toEqual(["success", "success"]);
  expect(await h.output(run.id, "same_day")).toEqual({ runId: day.id, state: "success" });
});

it("externalTaskSensor: a failed upstream task fails the sensor at once", async () => {
  const h = await setUp({ "external.ts": EXTERNAL });
  h.startTriggerer();
  const failed = await h.trigger("ingest", { fail: true }, "2025-09-03");
  expect((await h.waitRun(failed.id)).state).toBe("failed");
  const run = await h.trigger("strict", undefined, "2025-09-03");
  expect((await h.waitRun(run.id)).state).toBe("failed");
  const tries = await h.store.listTries(run.id);
  expect(tries[0]?.error).toMatchObject({ name: "ExternalTaskFailedError", message: expect.stringContaining("ingest task load") });
});

it("time sensors: a time of day on a past interval's last day is done; a delay after a future interval's end waits", async () => {
  const h = await setUp({
    "time.ts": `
import { pipeline, timeOfDaySensor, timeDeltaSensor } from "weir";
export default pipeline({ id: "timed", schedule: null }, (p) => {
  const closed = p.sensor("closed", { pokeInterval: "50ms" }, timeOfDaySensor("18:30", { timezone: "America/New_York" }));
  p.sensor("later", { pokeInterval: "50ms", timeout: "300ms", softFail: true }, timeDeltaSensor("1d"));
  p.task("after_close", { after: [closed] }, async () => "ran");
});`,
  });
  h.startTriggerer();
  const past = await h.trigger("timed", undefined, "2025-01-01");
  const future = await h.trigger("timed", undefined, "2099-01-01");
  expect((await h.waitRun(past.id)).state).toBe("success");
  expect((await h.instance(past.id, "later"))?.state).toBe("success");
  expect(await h.output(past.id, "after_close")).toBe("ran");
  await waitFor("the future run's sensors to settle", async () => (await h.instance(future.id, "later"))?.state === "skipped");
  expect((await h.instance(future.id, "closed"))?.state).toBe("deferred");
});
