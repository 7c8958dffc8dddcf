// Timeouts and crashes: a try that overruns is aborted through its signal, and if it doesn't stop its
// worker is killed with everything it started; a dying worker fails its try and is replaced.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import type { TryResult } from "../../src/worker/protocol.js";
import { isAlive, makeJob, makePool, makeTempDir, versionOf, waitFor } from "./helpers.js";

const tmp = makeTempDir();
const { pool, run, results } = makePool({ size: 2, killGraceMs: 500 });
let file = "";
let version = "";

beforeAll(async () => {
  file = tmp.write(
    "slow.ts",
    `import { pipeline } from "weir";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

export default pipeline({ id: "slow" }, (p) => {
  p.task("cooperative", async (ctx) => {
    await new Promise((resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
  });
  p.task("busy", async () => { for (;;) {} });
  p.task("ignores_signal", async () => { await new Promise(() => {}); });
  p.task("exits", async () => { process.exit(3); });
  p.task("with_child", async () => {
    const child = spawn("sleep", ["1000"], { stdio: "ignore" });
    writeFileSync(${JSON.stringify(join(tmp.dir, "child.pid"))}, String(child.pid));
    await new Promise(() => {});
  });
  p.task("quick", async () => "ok");
});
`,
  );
  version = await versionOf(pool, file, "slow");
});

afterAll(async () => {
  await pool.close();
  tmp.remove();
});

const job = (taskId: string, extra = {}) => makeJob(tmp.dir, file, version, "slow", taskId, extra);

describe("timeouts", () => {
  it("aborts ctx.signal at the deadline and reports a timeout when the task stops", async () => {
    const before = pool.stats().spawned;
    const result = await run(job("cooperative", { timeoutMs: 300 }));
    expect(result).toEqual({ outcome: "failure", error: { name: "TaskTimeoutError", message: "task cooperative timed out after 300ms", kind: "timeout", retryable: true } });
    expect(pool.stats().spawned).toBe(before); // the worker stopped by itself: not replaced
  });

  it("kills a worker stuck in a busy loop, replaces it, and keeps working", async () => {
    const before = pool.stats().spawned;
    const result = await run(job("busy", { timeoutMs: 1000 }));
    expect(result).toEqual({ outcome: "failure", error: { name: "TaskTimeoutError", message: "task busy timed out after 1s", kind: "timeout", retryable: true } });
    const after = await Promise.all([run(job("quick")), run(job("quick")), run(job("quick"))]);
    expect(after.every((r) => r.outcome === "success")).toBe(true);
    expect(pool.stats().spawned).toBeGreaterThan(before);
  });

  it("kills a task's child processes with its worker", async () => {
    const result = await run(job("with_child", { timeoutMs: 500 }));
    expect(result).toMatchObject({ outcome: "failure", error: { kind: "timeout" } });
    const pid = Number(readFileSync(join(tmp.dir, "child.pid"), "utf8"));
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(pid), 10_000, `sleep child ${pid} to die`);
  });

  it("cancels a running try that ignores its signal, and a queued one at once", async () => {
    const running = job("ignores_signal");
    const pending = run(running);
    await waitFor(() => pool.stats().running === 1, 10_000, "the try to start");
    pool.abort(running.tryKey, "canceled");
    expect(await pending).toMatchObject({ outcome: "failure", error: { name: "TaskCanceledError", kind: "canceled", retryable: false } });
  });

  it("cancels a queued try without running it", async () => {
    const single = makePool({ size: 1, killGraceMs: 500 });
    try {
      const first = job("ignores_signal");
      const queued = job("quick");
      const firstDone = single.run(first);
      const queuedDone = single.run(queued);
      single.pool.abort(queued.tryKey, "canceled");
      expect(await queuedDone).toMatchObject({ outcome: "failure", error: { name: "TaskCanceledError" } });
      single.pool.abort(first.tryKey, "timeout");
      expect(await firstDone).toMatchObject({ outcome: "failure", error: { name: "TaskTimeoutError" } });
      expect(single.results.get(queued.tryKey)).toHaveLength(1);
    } finally {
      await single.pool.close();
    }
  });
});

describe("worker crashes", () => {
  it("reports process.exit() in a task as a crash and replaces the worker", async () => {
    const result = await run(job("exits"));
    expect(result).toMatchObject({ outcome: "failure", error: { name: "WorkerCrashedError", kind: "error", retryable: true } });
    if (result.outcome === "failure") expect(result.error.message).toBe("worker process exited with code 3 while running task exits");
    expect(await run(job("quick"))).toMatchObject({ outcome: "success" });
  });

  it("keeps queued tries going when one worker dies", async () => {
    const jobs = [job("exits"), ...Array.from({ length: 20 }, () => job("quick"))];
    const outcomes = await Promise.all(jobs.map((j) => run(j)));
    expect(outcomes[0]?.outcome).toBe("failure");
    expect(outcomes.slice(1).every((r) => r.outcome === "success")).toBe(true);
  });

  it("reported every try exactly once", () => {
    expect([...results.values()].every((list) => list.length === 1)).toBe(true);
  });
});

describe("capacity after kills", () => {
  it("frees a killed worker's slot at once, and calls onCapacity when the worker has exited", async () => {
    const events: string[] = [];
    let slotsAtResult = -1;
    let workerPid = 0;
    const results = new Map<string, TryResult>();
    const single: LocalWorkerPool = new LocalWorkerPool({
      size: 1,
      killGraceMs: 300,
      onStarted: (_key, workerId) => (workerPid = Number(workerId.split(":")[1])),
      onResult: (key, result) => {
        results.set(key, result);
        events.push("result");
        slotsAtResult = single.freeSlots();
      },
      onCapacity: () => events.push("capacity"),
    });
    try {
      const busy = job("busy", { timeoutMs: 300 });
      single.submit(busy);
      const result = await waitFor(() => results.get(busy.tryKey), 20_000, "the busy try to be killed");
      expect(result).toMatchObject({ outcome: "failure", error: { name: "TaskTimeoutError", kind: "timeout" } });
      // The killed worker no longer counts: the scheduler may submit again right away.
      expect(slotsAtResult).toBe(1);
      await waitFor(() => !isAlive(workerPid) && single.stats().workers === 0, 10_000, "the killed worker to exit");
      await waitFor(() => events.lastIndexOf("capacity") > events.indexOf("result"), 10_000, "onCapacity after the exit");
      expect(single.freeSlots()).toBe(1);
      expect(single.stats()).toMatchObject({ running: 0, queued: 0 });
    } finally {
      await single.close();
    }
  });

  it("doesn't take workers killed for timeouts for workers that failed to start", async () => {
    // Three workers killed at about the same time, before any replacement is ready: the queued tries
    // wait for the replacements instead of failing with WorkerStartFailedError.
    const three = makePool({ size: 3, killGraceMs: 300 });
    try {
      const busy = Array.from({ length: 3 }, () => job("busy", { timeoutMs: 300 }));
      const busyDone = busy.map((j) => three.run(j));
      await waitFor(() => three.pool.stats().running === 3, 20_000, "the busy tries to start");
      const quick = Array.from({ length: 3 }, () => job("quick"));
      const quickDone = quick.map((j) => three.run(j));
      for (const result of await Promise.all(busyDone)) expect(result).toMatchObject({ outcome: "failure", error: { name: "TaskTimeoutError" } });
      expect((await Promise.all(quickDone)).map((r) => r.outcome)).toEqual(["success", "success", "success"]);
    } finally {
      await three.pool.close();
    }
  });
});
