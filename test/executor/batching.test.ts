// Batched dispatch: a worker whose recent tries were quick holds several at once (one `run_tries`
// message) and reports them in batches. Every try still gets exactly one result, a crash fails only
// the try that was running, held tries are re-run elsewhere, aborts and timeouts of held tries behave
// as if they were queued in the pool, and a prewarmed worker is adopted by the next pool.
// Real worker processes; every wait is on a condition, no assertion is about durations.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LocalWorkerPool, type LocalWorkerPoolOptions } from "../../src/executor/local-pool.js";
import { prewarmWorker } from "../../src/executor/prewarm.js";
import { defaultWorkerScript } from "../../src/executor/worker-script.js";
import { WorkerHandle } from "../../src/executor/worker-handle.js";
import type { ToWorker, TryJob, TryResult } from "../../src/worker/protocol.js";
import { makeJob, makeTempDir, versionOf, waitFor } from "./helpers.js";

const tmp = makeTempDir();
const runsFile = join(tmp.dir, "runs.log");
let file = "";
let version = "";

// Every message the pool sends to a worker (all pools of this file), with the worker's pid.
const sent: { pid: number; message: ToWorker }[] = [];
const sendOriginal = WorkerHandle.prototype.send;
vi.spyOn(WorkerHandle.prototype, "send").mockImplementation(function (this: WorkerHandle, message: ToWorker) {
  sent.push({ pid: this.pid, message });
  sendOriginal.call(this, message);
});

/** The `run_tries` messages that carried any of `keys`, as lists of try keys. */
function batchesWith(keys: readonly string[]): string[][] {
  const wanted = new Set(keys);
  return sent
    .filter((s) => s.message.kind === "run_tries" && s.message.jobs.some((j) => wanted.has(j.tryKey)))
    .map((s) => (s.message as Extract<ToWorker, { kind: "run_tries" }>).jobs.map((j) => j.tryKey));
}

/** How many times each run id was appended to runs.log by a `counted`/`exits` task (real executions). */
function executions(): Map<string, number> {
  const counts = new Map<string, number>();
  let text = "";
  try {
    text = readFileSync(runsFile, "utf8");
  } catch {
    return counts;
  }
  for (const line of text.split("\n")) if (line !== "") counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

interface Reported {
  result: TryResult;
  timing: { startedMs: number; endedMs: number } | undefined;
}

/** A pool recording every onResult (with its timing) and every onStarted, awaitable by try key. */
function batchPool(options: Partial<LocalWorkerPoolOptions> = {}) {
  const results = new Map<string, Reported[]>();
  const waiters = new Map<string, (r: TryResult) => void>();
  let maxRunning = 0;
  const pool: LocalWorkerPool = new LocalWorkerPool({
    size: 1,
    killGraceMs: 3000,
    ...options,
    onResult: (tryKey, result, timing) => {
      const list = results.get(tryKey) ?? [];
      list.push({ result, timing });
      results.set(tryKey, list);
      waiters.get(tryKey)?.(result);
      waiters.delete(tryKey);
    },
    onStarted: () => {
      maxRunning = Math.max(maxRunning, pool.stats().running);
    },
  });
  const run = (job: TryJob): Promise<TryResult> =>
    new Promise((resolve) => {
      waiters.set(job.tryKey, resolve);
      pool.submit(job);
    });
  /**
   * Runs quick tries one at a time until the (single, idle) worker has a quick streak: freeSlots() then
   * exceeds the pool size. Bounded by a count, not by time.
   */
  const warm = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const result = await run(job("quick"));
      expect(result.outcome).toBe("success");
      await waitFor(() => pool.stats().busy === 0 && pool.stats().idle === pool.stats().workers, 5000, "the worker to be idle");
      if (pool.freeSlots() > pool.size) return;
    }
    throw new Error("no quick streak after 200 quick tries");
  };
  return { pool, results, run, warm, maxRunning: () => maxRunning };
}

const job = (taskId: string, extra: Partial<TryJob> = {}) => makeJob(tmp.dir, file, version, "batch", taskId, extra);

const pools: LocalWorkerPool[] = [];
function track<T extends { pool: LocalWorkerPool }>(made: T): T {
  pools.push(made.pool);
  return made;
}

beforeAll(async () => {
  file = tmp.write(
    "batch.ts",
    `import { pipeline } from "weir";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";

const runs = ${JSON.stringify(runsFile)};
const dir = ${JSON.stringify(tmp.dir)};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export default pipeline({ id: "batch" }, (p) => {
  p.task("quick", async () => "ok");
  p.task("counted", async (ctx) => { appendFileSync(runs, ctx.runId + "\\n"); return ctx.runId; });
  p.task("exits", async (ctx) => { appendFileSync(runs, ctx.runId + "\\n"); process.exit(3); });
  p.task("slow50", async () => { await sleep(50); return "slow"; });
  p.task("wait400", async () => { await sleep(400); return "waited"; });
  p.task("gate", async (ctx) => {
    // Runs until the test opens its gate (a file named after the run).
    while (!existsSync(dir + "/gate-" + ctx.runId)) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await sleep(5);
    }
    return "opened";
  });
  p.task("cooperative", async (ctx) => {
    await new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
  });
  p.task("busy", async () => { for (;;) {} });
  // Quick, but throws after it returned, once the try named in its params has started.
  p.task("late_throw", async (ctx) => {
    const { go, done } = ctx.params as { go: string; done: string };
    const timer = setInterval(() => {
      if (!existsSync(go)) return;
      clearInterval(timer);
      setTimeout(() => appendFileSync(done, "x"), 5);
      throw new Error("thrown late");
    }, 2);
    return "ok";
  });
  p.task("waits_for", async (ctx) => {
    const { go, done } = ctx.params as { go: string; done: string };
    writeFileSync(go, "");
    for (let i = 0; i < 2000 && !existsSync(done); i++) await sleep(5);
    appendFileSync(runs, ctx.runId + "\\n");
    return "waited";
  });
});
`,
  );
  const loader = new LocalWorkerPool({ size: 1, onResult: () => {} });
  try {
    version = await versionOf(loader, file, "batch");
  } finally {
    await loader.close();
  }
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

afterAll(() => {
  vi.restoreAllMocks();
  tmp.remove();
});

describe("batched dispatch", () => {
  it("gives a worker several quick tries in one message and reports each exactly once", async () => {
    const { pool, results, run, maxRunning } = track(batchPool({ size: 1 }));
    const jobs = Array.from({ length: 500 }, () => job("quick"));
    const outcomes = await Promise.all(jobs.map((j) => run(j)));

    expect(outcomes.every((r) => r.outcome === "success")).toBe(true);
    const keys = jobs.map((j) => j.tryKey);
    expect(new Set(keys).size).toBe(500);
    expect([...results.keys()].sort()).toEqual([...keys].sort());
    expect([...results.values()].every((list) => list.length === 1)).toBe(true);

    // Several tries went out in one message, and more than one was in flight on the single worker.
    const batches = batchesWith(keys);
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    expect(batches.flat().sort()).toEqual([...keys].sort()); // each sent once
    expect(maxRunning()).toBeGreaterThan(1);
    // The idle worker with its quick streak now offers more slots than the pool has workers.
    await waitFor(() => pool.stats().idle === 1, 5000, "the worker to be idle");
    expect(pool.freeSlots()).toBeGreaterThan(pool.size);
    expect(pool.stats().spawned).toBe(1);
  });

  it("results carry when the try ran: startedMs <= endedMs", async () => {
    const { results, run } = track(batchPool({ size: 1 }));
    const jobs = [...Array.from({ length: 40 }, () => job("quick")), job("slow50"), ...Array.from({ length: 10 }, () => job("quick"))];
    await Promise.all(jobs.map((j) => run(j)));
    for (const j of jobs) {
      const [reported] = results.get(j.tryKey) ?? [];
      expect(reported?.result.outcome).toBe("success");
      expect(reported?.timing).toBeDefined();
      const { startedMs, endedMs } = reported?.timing ?? { startedMs: NaN, endedMs: NaN };
      expect(Number.isFinite(startedMs) && Number.isFinite(endedMs)).toBe(true);
      expect(startedMs).toBeLessThanOrEqual(endedMs);
    }
  });

  it("drops a worker back to one try at a time after a slow try", async () => {
    const { pool, run, warm } = track(batchPool({ size: 1 }));
    await warm();
    expect(pool.freeSlots()).toBeGreaterThan(1);

    expect(await run(job("slow50"))).toMatchObject({ outcome: "success" });
    expect(pool.freeSlots()).toBe(1);

    // The next tries go out one per message (no prefetch behind the slow one's worker).
    const next = Array.from({ length: 4 }, () => job("quick"));
    const done = Promise.all(next.map((j) => run(j)));
    await done;
    const first = batchesWith(next.map((j) => j.tryKey))[0];
    expect(first).toEqual([next[0]?.tryKey]);
  });

  it("a crash fails only the running head; the tries held behind it run elsewhere, once each", async () => {
    const { pool, results, run, warm } = track(batchPool({ size: 1 }));
    await warm();
    const spawnedBefore = pool.stats().spawned;
    const head = job("exits");
    const held = Array.from({ length: 6 }, () => job("counted"));
    const all = [head, ...held];
    const outcomes = await Promise.all(all.map((j) => run(j)));

    // They really were held together by one worker.
    const batches = batchesWith(all.map((j) => j.tryKey));
    expect(batches[0]).toEqual(all.map((j) => j.tryKey));

    expect(outcomes[0]).toEqual({
      outcome: "failure",
      error: { name: "WorkerCrashedError", message: "worker process exited with code 3 while running task exits", kind: "error", retryable: true },
    });
    expect(outcomes.slice(1).every((r) => r.outcome === "success")).toBe(true);
    for (const j of all) expect(results.get(j.tryKey)).toHaveLength(1);
    const counts = executions();
    for (const j of all) expect(counts.get(j.runId)).toBe(1);
    expect(pool.stats().spawned).toBe(spawnedBefore + 1);
  });

  it("a crash after quick tries in the same batch is blamed on the crashing try, not an earlier one", async () => {
    const { results, run, warm } = track(batchPool({ size: 1 }));
    await warm();
    const before = [job("counted"), job("counted")];
    const crash = job("exits");
    const after = [job("counted"), job("counted")];
    const all = [...before, crash, ...after];
    const outcomes = await Promise.all(all.map((j) => run(j)));

    expect(batchesWith(all.map((j) => j.tryKey))[0]).toEqual(all.map((j) => j.tryKey));
    const counts = executions();
    // Expected: the two tries before the crash succeeded once, the crashing one crashed once.
    expect({
      before: outcomes.slice(0, 2).map((r) => r.outcome),
      crash: outcomes[2],
      after: outcomes.slice(3).map((r) => r.outcome),
      executions: all.map((j) => counts.get(j.runId) ?? 0),
      reports: all.map((j) => results.get(j.tryKey)?.length ?? 0),
    }).toMatchObject({
      before: ["success", "success"],
      crash: { outcome: "failure", error: { name: "WorkerCrashedError", message: "worker process exited with code 3 while running task exits" } },
      after: ["success", "success"],
      executions: [1, 1, 1, 1, 1],
      reports: [1, 1, 1, 1, 1],
    });
  });

  it("a late error of a finished try fails no try: the worker retires and the tries it held run elsewhere, once each", async () => {
    const { pool, results, run, warm } = track(batchPool({ size: 1 }));
    await warm();
    const spawnedBefore = pool.stats().spawned;
    const markers = { go: join(tmp.dir, "late-go"), done: join(tmp.dir, "late-done") };
    const late = job("late_throw", { params: markers });
    const waiter = job("waits_for", { params: markers });
    const held = Array.from({ length: 4 }, () => job("counted"));
    const all = [late, waiter, ...held];
    const outcomes = await Promise.all(all.map((j) => run(j)));

    expect(batchesWith(all.map((j) => j.tryKey))[0]).toEqual(all.map((j) => j.tryKey));
    const counts = executions();
    expect({
      outcomes: outcomes.map((r) => r.outcome),
      executions: [waiter, ...held].map((j) => counts.get(j.runId) ?? 0),
      reports: all.map((j) => results.get(j.tryKey)?.length ?? 0),
    }).toEqual({ outcomes: all.map(() => "success"), executions: [1, 1, 1, 1, 1], reports: [1, 1, 1, 1, 1, 1] });
    // The held tries went back to the queue and ran on the replacement.
    expect(batchesWith(held.map((j) => j.tryKey)).length).toBeGreaterThan(1);
    expect(pool.stats().spawned).toBe(spawnedBefore + 1);
  });

  it("cancels a held try at once without killing its worker; the tries around it succeed", async () => {
    const { pool, results, run, warm } = track(batchPool({ size: 1 }));
    await warm();
    const spawnedBefore = pool.stats().spawned;
    const head = job("gate");
    const held = job("counted");
    const after = job("counted");
    const headDone = run(head);
    const heldDone = run(held);
    const afterDone = run(after);
    await waitFor(() => batchesWith([held.tryKey]).length > 0, 5000, "the tries to be sent");
    expect(batchesWith([held.tryKey])[0]).toEqual([head.tryKey, held.tryKey, after.tryKey]);

    pool.abort(held.tryKey, "canceled");
    expect(await heldDone).toEqual({ outcome: "failure", error: { name: "TaskCanceledError", message: "task counted was canceled", kind: "canceled", retryable: false } });
    // The head is still running (its gate is shut): the held try ended without waiting for it.
    expect(results.has(head.tryKey)).toBe(false);

    writeFileSync(join(tmp.dir, `gate-${head.runId}`), "");
    expect(await headDone).toMatchObject({ outcome: "success" });
    expect(await afterDone).toMatchObject({ outcome: "success" });
    expect(executions().get(held.runId)).toBeUndefined(); // never ran
    for (const j of [head, held, after]) expect(results.get(j.tryKey)).toHaveLength(1);
    expect(pool.stats().spawned).toBe(spawnedBefore); // the worker was not killed
  });

  it("a held try's timeout counts from when it starts", async () => {
    const { pool, results, run, warm } = track(batchPool({ size: 1 }));
    await warm();
    const spawnedBefore = pool.stats().spawned;
    // Held behind a 400 ms try, a quick try with a 200 ms timeout still succeeds...
    const head = job("wait400");
    const quick = job("quick", { timeoutMs: 200 });
    const [headResult, quickResult] = await Promise.all([run(head), run(quick)]);
    expect(batchesWith([quick.tryKey])[0]).toEqual([head.tryKey, quick.tryKey]);
    expect(headResult).toMatchObject({ outcome: "success" });
    expect(quickResult).toMatchObject({ outcome: "success" });

    // ...and one that overruns its own timeout once started still times out (its worker survives).
    await warm();
    const head2 = job("wait400");
    const coop = job("cooperative", { timeoutMs: 200 });
    const [head2Result, coopResult] = await Promise.all([run(head2), run(coop)]);
    expect(batchesWith([coop.tryKey])[0]).toEqual([head2.tryKey, coop.tryKey]);
    expect(head2Result).toMatchObject({ outcome: "success" });
    expect(coopResult).toEqual({ outcome: "failure", error: { name: "TaskTimeoutError", message: "task cooperative timed out after 200ms", kind: "timeout", retryable: true } });
    for (const j of [head, quick, head2, coop]) expect(results.get(j.tryKey)).toHaveLength(1);
    expect(pool.stats().spawned).toBe(spawnedBefore);
  });

  it("a held try that blocks its worker right after a quick one still times out", async () => {
    const { pool, results, run, warm } = track(batchPool({ size: 1, killGraceMs: 300 }));
    await warm();
    const quick = job("quick");
    const busy = job("busy", { timeoutMs: 300 });
    const quickDone = run(quick);
    const busyDone = run(busy);
    await waitFor(() => batchesWith([busy.tryKey]).length > 0, 5000, "the tries to be sent");
    expect(batchesWith([busy.tryKey])[0]).toEqual([quick.tryKey, busy.tryKey]);
    // Generous bound: the busy try's 300 ms timeout plus 300 ms kill grace, several times over.
    await waitFor(() => results.has(busy.tryKey), 3000, "the blocking try to time out").catch(() => undefined);
    expect({ quick: results.get(quick.tryKey)?.map((r) => r.result.outcome), busy: results.get(busy.tryKey)?.map((r) => r.result) }).toMatchObject({
      quick: ["success"],
      busy: [{ outcome: "failure", error: { name: "TaskTimeoutError", kind: "timeout" } }],
    });
    await quickDone;
    await busyDone;
    expect(pool.stats().running).toBe(0);
  });
});

describe("prewarmed worker", () => {
  it("is adopted by the next pool: no extra fork for its first load or tries", async () => {
    prewarmWorker(defaultWorkerScript(), { ...process.env, WEIR_KILL_GRACE_MS: "3000" });
    const { pool, run } = track(batchPool({ size: 2 }));
    expect(pool.stats()).toMatchObject({ spawned: 1, workers: 1 });

    const loaded = await pool.load(file);
    expect(loaded.problems).toEqual([]);
    expect(pool.stats()).toMatchObject({ spawned: 1, workers: 1 });

    expect(await run(job("quick"))).toMatchObject({ outcome: "success" });
    expect(pool.stats()).toMatchObject({ spawned: 1, workers: 1 });
    // The load and the try went to the same (prewarmed) worker.
    const pids = new Set(sent.slice(-2).map((s) => s.pid));
    expect(pids.size).toBe(1);
  });
});
