// Sensors as a user runs them (bin/weir.js): a foreground `weir run` of a pipeline with a deferred sensor
// starts its own trigger loop and finishes; `weir dev` starts one as a child process.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.js";
import { cleanup, runCleanup, waitFor } from "./harness.js";

afterEach(runCleanup);

const BIN = join(import.meta.dirname, "../../bin/weir.js");

function scratch(): { dir: string; home: string } {
  const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir);
  const home = mkdtempSync(join(tmpdir(), "weir-sensors-cli-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }), () => rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
  return { dir, home };
}

const pipelineSource = (dir: string): string => `
import { writeFileSync } from "node:fs";
import { pipeline, fileSensor } from "weir";
export default pipeline({ id: "cli_wait", schedule: null }, (p) => {
  const landed = p.sensor("landed", { pokeInterval: "100ms", timeout: "1m" }, fileSensor({ path: ${JSON.stringify(join(dir, "in.csv"))} }));
  p.task("land", async () => { await new Promise((r) => setTimeout(r, 300)); writeFileSync(${JSON.stringify(join(dir, "in.csv"))}, "x"); });
  p.task("use", { needs: { landed } }, async (_ctx, { landed }) => landed.paths.length);
});`;

it("weir run: a deferred sensor is checked by a trigger loop the run starts, and the run succeeds", async () => {
  const { dir, home } = scratch();
  writeFileSync(join(dir, "wait.ts"), pipelineSource(dir));
  const child = spawn(process.execPath, [BIN, "run", join(dir, "wait.ts"), "--json"], { env: { ...process.env, WEIR_HOME: home, WEIR_DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code).toBe(0);
  const doc = JSON.parse(stdout) as { run: { state: string }; tasks: { id: string; state: string; tries: number }[] };
  expect(doc.run.state).toBe("success");
  expect(doc.tasks.find((t) => t.id === "landed")).toMatchObject({ state: "success", tries: 1 });
});

it("weir dev starts a trigger loop: a triggered run's deferred sensor completes", async () => {
  const { dir, home } = scratch();
  writeFileSync(join(dir, "wait.ts"), pipelineSource(dir));
  const env = { ...process.env, WEIR_HOME: home, WEIR_DATABASE_URL: "" };
  const dev = spawn(process.execPath, [BIN, "dev", dir, "--port", "0"], { env, stdio: ["ignore", "ignore", "ignore"] });
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        if (dev.exitCode !== null) return resolve();
        dev.once("exit", () => resolve());
        dev.kill("SIGTERM");
      }),
  );
  const store = openSqliteStore({ path: join(home, "weir.db") });
  await waitFor("the pipeline to register", async () => {
    try {
      return (await store.getPipeline("cli_wait")) !== null;
    } catch {
      return false; // the schema may not exist yet
    }
  });
  cleanup.push(() => store.close());
  const trigger = spawn(process.execPath, [BIN, "trigger", "cli_wait"], { env, stdio: "ignore" });
  await new Promise((resolve) => trigger.once("exit", resolve));
  await waitFor("the run to succeed", async () => (await store.listRuns({ pipelineId: "cli_wait" }))[0]?.state === "success");
});

it("weir dev killed with -9: its trigger loop child goes too (its IPC channel closed)", async () => {
  const { dir, home } = scratch();
  writeFileSync(join(dir, "wait.ts"), pipelineSource(dir));
  const dev = spawn(process.execPath, [BIN, "dev", dir, "--port", "0"], { env: { ...process.env, WEIR_HOME: home, WEIR_DATABASE_URL: "" }, stdio: ["ignore", "ignore", "ignore"] });
  cleanup.push(() => void dev.kill("SIGKILL"));
  const loopPid = (): number | null => {
    let text = "";
    try {
      text = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(dev.pid)]).toString();
    } catch {
      return null; // ps exits 1 while the parent has no children yet
    }
    const line = text.split("\n").find((l) => l.includes("triggerer"));
    return line === undefined ? null : Number(line.trim().split(/\s+/)[0]);
  };
  let pid: number | null = null;
  await waitFor("the trigger loop child", () => (pid = loopPid()) !== null);
  const exited = new Promise<void>((resolve) => dev.once("exit", () => resolve()));
  dev.kill("SIGKILL");
  await exited;
  await waitFor("the orphaned loop to exit", () => !isAlive(pid as number));
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
