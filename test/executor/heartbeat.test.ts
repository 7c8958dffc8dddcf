// Hung workers: a worker process that is stopped (SIGSTOP) stops beating and is killed, its try fails as
// lost and is retried on a fresh worker; a task that blocks its worker's main thread still beats.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logs, makeHome, processesOf, runIdOf, runDocument, byTask } from "../cli/helpers.js";
import { HeartbeatWatch } from "../../src/executor/heartbeat.js";
import { prewarmWorker } from "../../src/executor/prewarm.js";
import { defaultWorkerScript } from "../../src/executor/worker-script.js";
import { decodeValue } from "../../src/worker/value-codec.js";
import { isAlive, makeJob, makePool, makeTempDir, versionOf, waitFor } from "./helpers.js";

const tmp = makeTempDir();
// 100 ms beats, 30 missed: a worker silent for 3 s is hung. Generous, so a beat thread held up by a loaded
// machine is never taken for a hung worker; the spinning task blocks for twice that.
const beats = { heartbeatMs: 100, missedHeartbeats: 30 };
const { pool, run } = makePool({ size: 2, ...beats });
let file = "";
let version = "";
const pidFile = (name: string) => join(tmp.dir, `${name}.pid`);

beforeAll(async () => {
  file = tmp.write(
    "hang.ts",
    `import { pipeline } from "weir";
import { writeFileSync } from "node:fs";

export default pipeline({ id: "hang", schedule: null }, (p) => {
  p.task("waits", { retries: 1, retryDelay: "10ms" }, async (ctx) => {
    if (ctx.tryNumber > 1) return "fine on try " + ctx.tryNumber;
    writeFileSync(${JSON.stringify(pidFile("waits"))}, String(process.pid));
    await new Promise(() => {});
  });
  // Blocks its worker's event loop for twice the miss window (6 s) without a pause.
  p.task("spins", async () => {
    const until = Date.now() + 6000;
    let turns = 0;
    while (Date.now() < until) turns++;
    return turns > 0;
  });
  p.task("quick", async () => "ok");
  // The heartbeat pipe's variables are the worker's own, not its tasks'.
  p.task("env", async () => [process.env.WEIR_HEARTBEAT_FD ?? null, process.env.WEIR_HEARTBEAT_MS ?? null]);
});
`,
  );
  version = await versionOf(pool, file, "hang");
});

afterAll(async () => {
  await pool.close();
  tmp.remove();
});

const job = (taskId: string) => makeJob(tmp.dir, file, version, "hang", taskId);
/** The pattern of the message a try of a worker killed for silence fails with. */
const hungMessage = (pid: number, taskId: string) => `worker process ${pid} sent no heartbeat for \\d+ ms \\(stopped or hung\\) and was killed while running task ${taskId}`;
const hungFailure = (pid: number, taskId: string) => ({
  outcome: "failure",
  error: { name: "WorkerHungError", message: expect.stringMatching(new RegExp(`^${hungMessage(pid, taskId)}$`)), kind: "lost", retryable: true },
});

describe("hung local workers", () => {
  it("kills a stopped worker, fails its try as lost, and keeps working on a fresh worker", async () => {
    const before = pool.stats().spawned;
    const result = run(job("waits"));
    const pid = await waitFor(() => existsSync(pidFile("waits")) && Number(readFileSync(pidFile("waits"), "utf8")), 20_000, "the task's pid");
    process.kill(pid, "SIGSTOP");
    expect(await result).toEqual(hungFailure(pid, "waits"));
    await waitFor(() => !isAlive(pid), 10_000, "the stopped worker to be gone");
    expect((await run(job("quick"))).outcome).toBe("success");
    expect(pool.stats().spawned).toBeGreaterThan(before);
  });

  it("does not kill a worker whose task blocks its main thread longer than the miss window, even as its first request", async () => {
    // A fresh worker: its beat thread starts with this try, while the task already blocks the main thread.
    const fresh = makePool({ size: 1, ...beats });
    try {
      const result = await fresh.run(job("spins"));
      expect(result.outcome).toBe("success");
      expect(fresh.pool.stats().spawned).toBe(1);
    } finally {
      await fresh.pool.close();
    }
  });
});

describe("workers silent before their first beat", () => {
  /** A try's result, or a failure of the test if it never comes (a worker nobody judges holds it forever). */
  const settled = <T>(result: Promise<T>, what: string): Promise<T> =>
    Promise.race([result, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} never ended`)), 30_000))]);

  it("kills a worker stopped before its first request once it is given a try (its beats would start with that request)", async () => {
    // A prewarmed worker: ready and idle, never asked anything, so its beat thread hasn't started.
    const home = join(tmp.dir, "prewarmed");
    prewarmWorker(defaultWorkerScript(), { ...process.env, WEIR_HOME: home });
    const fresh = makePool({ size: 1, ...beats });
    try {
      const pid = await waitFor(() => processesOf(home)[0], 10_000, "the prewarmed worker's pid");
      await waitFor(() => fresh.pool.stats().idle === 1, 20_000, "the prewarmed worker to be ready");
      process.kill(pid, "SIGSTOP");
      expect(await settled(fresh.run(job("quick")), "the try on the stopped worker")).toEqual(hungFailure(pid, "quick"));
      await waitFor(() => !isAlive(pid), 10_000, "the stopped worker to be gone");
    } finally {
      await fresh.pool.close();
    }
  });

  it("kills a worker that never becomes ready and, after three in a row, fails the queued try", async () => {
    // A real process that starts and then never says "ready": a start-up wedged in an import, say.
    const script = tmp.write("never-ready.mjs", "setInterval(() => {}, 1000);\n");
    const stuck = makePool({ size: 1, workerScript: script, startTimeoutMs: 500, ...beats });
    try {
      const result = await settled(stuck.run(job("quick")), "the try queued behind workers that never start");
      expect(result).toMatchObject({
        outcome: "failure",
        error: {
          name: "WorkerStartFailedError",
          message: expect.stringMatching(/^worker process \d+ was not ready \d+ ms after it was started \(stopped or hung\) and was killed before it was ready \(worker script .*never-ready\.mjs\)$/),
          kind: "lost",
        },
      });
      // Each killed one is replaced at once (a fourth may be starting when the third's exit is seen).
      expect(stuck.pool.stats().spawned).toBeGreaterThanOrEqual(3);
    } finally {
      await stuck.pool.close();
    }
  });
});

describe("the heartbeat pipe's environment", () => {
  it("is not passed on to the tasks a worker runs", async () => {
    const result = await run(job("env"));
    expect(result).toMatchObject({ outcome: "success" });
    expect(result.outcome === "success" ? decodeValue(result.output) : undefined).toEqual([null, null]);
  });
});

describe("HeartbeatWatch when this process stalls", () => {
  it("still finds a silent worker when every check comes late (only the stall itself is forgiven)", async () => {
    // A worker that beat once, long ago, and never again; the checks below each come after a stall.
    const worker = { state: "busy", lastBeatMs: performance.now() };
    let hung = false;
    const watch = new HeartbeatWatch({ heartbeatMs: 20, missedHeartbeats: 3, startLimitMs: 60, workers: () => [worker], onHung: () => (hung = true) });
    try {
      for (let stalls = 0; stalls < 100 && !hung; stalls++) {
        const until = Date.now() + 100;
        while (Date.now() < until) {
          // Blocks the event loop: the watch's timer is due long before this ends.
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      watch.stop();
    }
    expect(hung).toBe(true);
  });
});

describe("hung worker in a run (weir run)", () => {
  it("retries the try of a stopped worker on a fresh one and the run succeeds", async () => {
    const h = makeHome();
    const runFile = tmp.write(
      "run-hang.ts",
      readFileSync(file, "utf8").replace('id: "hang"', 'id: "run_hang"').replace(JSON.stringify(pidFile("waits")), JSON.stringify(pidFile("run"))),
    );
    try {
      const running = h.weir(["run", runFile, "--pipeline", "run_hang"], { WEIR_LOCAL_HEARTBEAT_MS: "100", WEIR_LOCAL_MISSED_HEARTBEATS: "30" });
      const pid = await waitFor(() => existsSync(pidFile("run")) && Number(readFileSync(pidFile("run"), "utf8")), 30_000, "the task's pid");
      process.kill(pid, "SIGSTOP");
      const result = await running;
      expect(result.code, result.stderr).toBe(0);
      const runId = runIdOf(result);
      const tasks = byTask(await runDocument(h, runId));
      expect(tasks.get("waits")).toMatchObject({ state: "success", tries: 2 });
      expect(tasks.get("spins")).toMatchObject({ state: "success", tries: 1 });
      const first = await logs(h, runId, "waits", 1);
      expect(first.stderr).toMatch(new RegExp(`^try 1 failed: WorkerHungError: ${hungMessage(pid, "waits")}$`, "m"));
      expect(isAlive(pid)).toBe(false);
    } finally {
      h.remove();
    }
  });
});
