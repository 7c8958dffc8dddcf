// Timeouts and crashes: a try that overruns is aborted through its signal, and if it doesn't stop its
// worker is killed with everything it started; a dying worker fails its try and is replaced.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
