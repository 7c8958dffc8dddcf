// A kill -9 of the scheduler while 100 deferred sensors wait: all resume under the next scheduler and each
// completes exactly once (one try each). Meanwhile they hold no worker slot: with one worker, a task runs
// while all 100 wait. The scheduler and the trigger loop are real processes (`weir scheduler`, `weir triggerer`).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.js";
import { cleanup, runCleanup, waitFor } from "./harness.js";

afterEach(runCleanup);

const BIN = join(import.meta.dirname, "../../bin/weir.js");
const SENSORS = 100;

function start(args: string[], home: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, WEIR_HOME: home, WEIR_DATABASE_URL: "" }, stdio: ["ignore", "ignore", "ignore"], detached: true });
  cleanup.push(() => stop(child, "SIGTERM"));
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (signal === "SIGKILL") process.kill(-(child.pid as number), "SIGKILL");
  else child.kill(signal);
  await exited;
}

it("kill -9 of the scheduler while 100 sensors wait: all resume, none fires twice, none held a worker slot", async () => {
  const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir);
  const home = mkdtempSync(join(tmpdir(), "weir-sensors-crash-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }), () => rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
  writeFileSync(
    join(dir, "many.ts"),
    `
import { writeFileSync, existsSync } from "node:fs";
import { pipeline, fileSensor } from "weir";
export default pipeline({ id: "many", schedule: null }, (p) => {
  const sensors = [];
  for (let i = 0; i < ${SENSORS}; i++) sensors.push(p.sensor("s" + i, { pokeInterval: "200ms", priority: 10 }, fileSensor({ path: ${JSON.stringify(join(dir, "go"))} })));
  // Runs on the only worker while every sensor waits; it blocks until the test lets it end.
  p.task("busy", async () => { while (!existsSync(${JSON.stringify(join(dir, "release"))})) await new Promise((r) => setTimeout(r, 20)); return "done"; });
  p.task("after", { after: sensors }, async () => "all arrived");
});`,
  );
  const store = openSqliteStore({ path: join(home, "weir.db") });
  await store.migrate();
  cleanup.push(() => store.close());
  const scheduler = start(["scheduler", dir, "--concurrency", "1"], home);
  start(["triggerer"], home);
  await waitFor("the pipeline to register", async () => (await store.getPipeline("many")) !== null);
  const trigger = spawn(process.execPath, [BIN, "trigger", "many"], { env: { ...process.env, WEIR_HOME: home, WEIR_DATABASE_URL: "" }, stdio: "ignore" });
  await new Promise((resolve) => trigger.once("exit", resolve));
  const runId = (await store.listRuns({ pipelineId: "many" }))[0]?.id;
  expect(runId).toBeDefined();
  const states = async (): Promise<Map<string, string>> => new Map((await store.listTaskInstances(runId as string)).map((i) => [i.taskId, i.state]));
  await waitFor("every sensor deferred and busy running on the one worker", async () => {
    const now = await states();
    return [...now].filter(([id, s]) => id.startsWith("s") && s === "deferred").length === SENSORS && now.get("busy") === "running";
  }, 60_000);

  await stop(scheduler, "SIGKILL");
  writeFileSync(join(dir, "go"), "x");
  writeFileSync(join(dir, "release"), "x");
  start(["scheduler", dir, "--concurrency", "1"], home);
  await waitFor("the run to end", async () => ["success", "failed"].includes((await store.getRun(runId as string))?.state ?? ""), 60_000);
  expect((await store.getRun(runId as string))?.state).toBe("success");
  const tries = await store.listTries(runId as string);
  const sensorTries = tries.filter((t) => /^s\d+$/.test(t.taskId));
  expect(sensorTries).toHaveLength(SENSORS);
  expect(sensorTries.every((t) => t.tryNumber === 1 && t.state === "success")).toBe(true);
});
