// Distributed execution with real processes (docs/distributed.md), on SQLite and on Postgres: a scheduler
// with `--executor store` and `weir worker` processes with different queues; tasks go to the workers of
// their queue; a worker killed mid-task (kill -9) is detected by its missed heartbeats and its try is
// retried on the other worker; a frozen worker declared lost that comes back has its late result ignored; a
// scheduler killed and started again adopts the tries workers run; a backlog of one queue holds no other back.
import { describe, expect, it } from "vitest";
import { aliveWorkers, runEnded, useClusters, waitFor, type Cluster, type Proc, type RunDoc, type WorkersDoc } from "./cluster.js";

const ROUTED = `
import { writeFileSync } from "node:fs";
import { pipeline } from "weir";
const mark = (ctx) => writeFileSync(\`\${__MARKS__}/\${ctx.taskId}-\${ctx.tryNumber}-\${process.env.WEIR_TEST_WORKER}\`, "");
export default pipeline({ id: "routed" }, (p) => {
  const light = p.task("light", async (ctx) => { mark(ctx); console.log("light ran on worker " + process.env.WEIR_TEST_WORKER); return process.env.WEIR_TEST_WORKER; });
  p.task("heavy", { needs: { light }, queue: "spark" }, async (ctx, { light }) => { mark(ctx); return light + "+" + process.env.WEIR_TEST_WORKER; });
});
`;

// Try 1 waits for a release file (the test decides when, or never); later tries end at once.
const HANGS = `
import { existsSync, writeFileSync } from "node:fs";
import { pipeline } from "weir";
const mark = (ctx) => writeFileSync(\`\${__MARKS__}/\${ctx.taskId}-\${ctx.tryNumber}-\${process.env.WEIR_TEST_WORKER}\`, "");
export default pipeline({ id: "hangs" }, (p) => {
  p.task("wait", { retries: 1, retryDelay: "10ms" }, async (ctx) => {
    mark(ctx);
    console.log("try " + ctx.tryNumber + " on worker " + process.env.WEIR_TEST_WORKER);
    if (ctx.tryNumber === 1) while (!existsSync(\`\${__MARKS__}/../release\`)) await new Promise((r) => setTimeout(r, 50));
    return process.env.WEIR_TEST_WORKER + "-" + ctx.tryNumber;
  });
});
`;

// Six tasks of a queue no worker serves yet, declared first, and one of the default queue.
const STARVED = `
import { writeFileSync } from "node:fs";
import { pipeline } from "weir";
const mark = (ctx) => writeFileSync(\`\${__MARKS__}/\${ctx.taskId}-\${ctx.tryNumber}-\${process.env.WEIR_TEST_WORKER}\`, "");
export default pipeline({ id: "starved" }, (p) => {
  for (let i = 0; i < 6; i++) p.task("gpu" + i, { queue: "gpu" }, async (ctx) => { mark(ctx); return i; });
  p.task("light", async (ctx) => { mark(ctx); return 1; });
});
`;

// Ten tries of a small queue (held until released) declared before four of the default queue.
const BACKLOG = `
import { existsSync, writeFileSync } from "node:fs";
import { pipeline } from "weir";
const mark = (ctx) => writeFileSync(\`\${__MARKS__}/\${ctx.taskId}-\${ctx.tryNumber}-\${process.env.WEIR_TEST_WORKER}\`, "");
export default pipeline({ id: "backlog" }, (p) => {
  for (let i = 0; i < 10; i++) p.task("spark" + i, { queue: "spark" }, async (ctx) => {
    mark(ctx);
    while (!existsSync(\`\${__MARKS__}/../release\`)) await new Promise((r) => setTimeout(r, 50));
    return i;
  });
  for (let i = 0; i < 4; i++) p.task("light" + i, async (ctx) => { mark(ctx); return i; });
});
`;

const startCluster = useClusters();

/** A scheduler and workers A and B, with try 1 of the `hangs` pipeline's task running on one of them (the victim). */
async function hangingTryOnTwoWorkers(c: Cluster): Promise<{ scheduler: Proc; workers: Record<"A" | "B", Proc>; runId: string; victim: "A" | "B"; other: "A" | "B" }> {
  c.writePipeline("hangs.ts", HANGS);
  const scheduler = c.scheduler();
  const workers = { A: c.worker("A", "default"), B: c.worker("B", "default") };
  await waitFor("two workers", async () => (await aliveWorkers(c)).length === 2);
  const runId = await trigger(c, "hangs", scheduler);
  await waitFor("try 1 to start", () => c.markList().length === 1, scheduler.output);
  const victim = (c.markList()[0] as string).endsWith("-A") ? "A" : "B";
  return { scheduler, workers, runId, victim, other: victim === "A" ? "B" : "A" };
}

async function trigger(c: Cluster, pipelineId: string, scheduler: Proc): Promise<string> {
  await waitFor("the scheduler", () => /scheduler running/.test(scheduler.output()), scheduler.output);
  const doc = await c.json<{ run: { id: string } }>(["trigger", pipelineId]);
  return doc.run.id;
}

for (const store of ["sqlite", "postgres"] as const) {
  describe(`distributed workers on ${store}`, () => {
    it("routes each task to a worker serving its queue, and lists the workers", async () => {
      const c = await startCluster(store);
      c.writePipeline("routed.ts", ROUTED);
      const scheduler = c.scheduler();
      const a = c.worker("A", "default");
      const b = c.worker("B", "spark");
      await waitFor("two workers", async () => (await aliveWorkers(c)).length === 2, () => a.output() + b.output());
      const runId = await trigger(c, "routed", scheduler);
      const ended = await runEnded(c, runId, () => scheduler.output() + a.output() + b.output());
      expect(ended.run.state).toBe("success");
      expect(c.markList()).toEqual(["heavy-1-B", "light-1-A"]);

      const { workers } = await c.json<WorkersDoc>(["workers"]);
      expect(workers.map((w) => [w.queues, w.slots, w.state, w.version]).sort()).toEqual([
        [["default"], 2, "alive", "0.1.0"],
        [["spark"], 2, "alive", "0.1.0"],
      ]);
      for (const w of workers) {
        expect(Object.keys(w).sort()).toEqual(["host", "id", "inUse", "lastHeartbeat", "pid", "queues", "slots", "startedAt", "state", "version"]);
        expect(new Date(w.lastHeartbeat).toISOString()).toBe(w.lastHeartbeat);
        expect(w.inUse).toBeGreaterThanOrEqual(0);
      }
      expect([a.child.pid, b.child.pid].sort()).toEqual(workers.map((w) => w.pid).sort());
      // Each try names the worker that claimed it (not the scheduler's "local"): what the API and the UI show.
      const idOf = (pid: number | undefined) => workers.find((w) => w.pid === pid)?.id;
      const ranBy = Object.fromEntries((await c.tries(runId)).map((t) => [t.taskId, t.worker]));
      expect(ranBy).toEqual({ light: idOf(a.child.pid), heavy: idOf(b.child.pid) });
      // The worker kept the log in its own WEIR_HOME and shipped it to the store: `weir logs` reads it there.
      const logs = await c.cli(["logs", runId, "light"]);
      expect(logs.stdout).toMatch(/^\S+ out light ran on worker A$/m);
      const text = await c.cli(["workers"]);
      expect(text.stdout).toMatch(/alive\s+\d\/2 slots {2}queues spark/);
    });

    it("runs tasks of served queues while tries of a queue nobody serves wait, until a worker of it comes", async () => {
      const c = await startCluster(store);
      c.writePipeline("starved.ts", STARVED);
      const scheduler = c.scheduler();
      c.worker("A", "default");
      await waitFor("the worker", async () => (await aliveWorkers(c)).length === 1);
      const runId = await trigger(c, "starved", scheduler);
      await waitFor("the default task", () => c.markList().includes("light-1-A"), () => scheduler.output() + c.markList().join(","), 20_000);
      expect((await c.json<RunDoc>(["tasks", runId])).run.state).toBe("running");
      expect(c.markList()).toEqual(["light-1-A"]);
      const g = c.worker("G", "gpu");
      const ended = await runEnded(c, runId, () => scheduler.output() + g.output() + c.markList().join(","), 20_000);
      expect(ended.run.state).toBe("success");
      expect(c.markList()).toEqual(["gpu0-1-G", "gpu1-1-G", "gpu2-1-G", "gpu3-1-G", "gpu4-1-G", "gpu5-1-G", "light-1-A"]);
    });

    it("runs tries of one queue while another queue has a backlog (free slots per queue)", async () => {
      const c = await startCluster(store);
      c.writePipeline("backlog.ts", BACKLOG);
      const scheduler = c.scheduler();
      c.worker("S", "spark");
      c.worker("D", "default");
      await waitFor("two workers", async () => (await aliveWorkers(c)).length === 2);
      const runId = await trigger(c, "backlog", scheduler);
      // The spark backlog (8 more than its worker's 2 slots) takes only spark's allowance: the default tries run.
      const light = ["light0-1-D", "light1-1-D", "light2-1-D", "light3-1-D"];
      await waitFor("the default queue's tries", () => light.every((m) => c.markList().includes(m)), () => scheduler.output() + c.markList().join(","));
      expect(c.markList().filter((m) => m.startsWith("spark")).length).toBeLessThanOrEqual(2);
      c.touch("release");
      const ended = await runEnded(c, runId, scheduler.output);
      expect(ended.run.state).toBe("success");
      expect(c.markList().filter((m) => m.startsWith("spark")).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `spark${i}-1-S`).sort());
    });

    it("retries the try of a worker killed mid-task (kill -9) on the other worker", async () => {
      const c = await startCluster(store);
      const { scheduler, workers, runId, victim, other } = await hangingTryOnTwoWorkers(c);
      // The running try's log reaches the store while it runs (the worker's own WEIR_HOME is elsewhere).
      await waitFor("the running try's log", async () => (await c.cli(["logs", runId, "wait"])).stdout.includes(`try 1 on worker ${victim}`));
      workers[victim].child.kill("SIGKILL");

      const ended = await runEnded(c, runId, () => scheduler.output() + workers[other].output());
      expect(ended.run.state).toBe("success");
      expect(ended.tasks).toMatchObject([{ id: "wait", state: "success", tries: 2 }]);
      expect(c.markList()).toEqual([`wait-1-${victim}`, `wait-2-${other}`]);
      expect(scheduler.output()).toMatch(/WorkerLostError: worker \S+ sent no heartbeat/);
      expect((await c.json<WorkersDoc>(["workers"])).workers.map((w) => w.state).sort()).toEqual(["alive", "lost"]);
    });

    it("hands the running try back when a worker is stopped (SIGTERM), and it is retried on the other", async () => {
      const c = await startCluster(store);
      const { scheduler, workers, runId, victim, other } = await hangingTryOnTwoWorkers(c);
      workers[victim].child.kill("SIGTERM");
      const exit = await new Promise<number | null>((r) => workers[victim].child.once("close", r));
      expect(exit).toBe(0);
      const ended = await runEnded(c, runId, () => scheduler.output() + workers[other].output());
      expect(ended).toMatchObject({ run: { state: "success" }, tasks: [{ id: "wait", state: "success", tries: 2 }] });
      expect(c.markList()).toEqual([`wait-1-${victim}`, `wait-2-${other}`]);
      expect(scheduler.output()).toMatch(/WorkerLostError: task wait: the worker pool was closed while the try ran/);
      expect((await c.json<WorkersDoc>(["workers"])).workers.map((w) => w.state).sort()).toEqual(["alive", "stopped"]);
    });

    it("ignores the late result of a worker declared lost that comes back", async () => {
      const c = await startCluster(store);
      const { scheduler, workers, runId, victim, other } = await hangingTryOnTwoWorkers(c);
      // Frozen, not dead: its task process goes on, its heartbeats stop.
      workers[victim].child.kill("SIGSTOP");
      const ended = await runEnded(c, runId, () => scheduler.output() + workers[other].output());
      expect(ended.tasks).toMatchObject([{ id: "wait", state: "success", tries: 2 }]);

      // Let try 1 finish and the frozen worker report it: the store refuses the result.
      c.touch("release");
      workers[victim].child.kill("SIGCONT");
      await waitFor("the late result", () => /result of \S+\/wait\/-1\/1 ignored/.test(workers[victim].output()), workers[victim].output);
      await waitFor("the worker to register again", () => /was declared lost/.test(workers[victim].output()), workers[victim].output);
      const after = await c.json<RunDoc>(["tasks", runId]);
      expect(after).toMatchObject({ run: { state: "success" }, tasks: [{ id: "wait", state: "success", tries: 2 }] });
      expect(c.markList()).toEqual([`wait-1-${victim}`, `wait-2-${other}`]);
    });

    it("finishes the run after the scheduler is killed (kill -9) mid-task and started again, adopting the running try", async () => {
      const c = await startCluster(store);
      const hanging = await hangingTryOnTwoWorkers(c);
      const { workers, runId, victim } = hanging;
      let scheduler = hanging.scheduler;
      scheduler.child.kill("SIGKILL");
      await new Promise((r) => scheduler.child.once("close", r));
      scheduler = c.scheduler();
      await waitFor("the new scheduler", () => /scheduler running/.test(scheduler.output()), scheduler.output);
      // The new scheduler adopts try 1 from the store's queue: its worker goes on and reports to it.
      c.touch("release");
      const ended = await runEnded(c, runId, () => scheduler.output() + workers.A.output() + workers.B.output());
      expect(ended).toMatchObject({ run: { state: "success" }, tasks: [{ id: "wait", state: "success", tries: 1 }] });
      expect(c.markList()).toEqual([`wait-1-${victim}`]);
      expect(workers[victim].output()).not.toMatch(/ignored/);
    });

    it("refuses a try whose pipeline version it doesn't have, saying so in the try's log", async () => {
      const c = await startCluster(store);
      c.writePipeline("hangs.ts", HANGS);
      const own = c.otherPipelines();
      c.writePipeline("hangs.ts", HANGS.replace('"-" + ctx.tryNumber', '"/" + ctx.tryNumber'), own);
      const scheduler = c.scheduler();
      const a = c.worker("A", "default", own);
      await waitFor("the worker", async () => (await aliveWorkers(c)).length === 1);
      const runId = await trigger(c, "hangs", scheduler);
      const ended = await runEnded(c, runId, () => scheduler.output() + a.output());
      expect(ended).toMatchObject({ run: { state: "failed" }, tasks: [{ id: "wait", state: "failed", tries: 1 }] });
      expect(c.markList()).toEqual([]);
      const logs = await c.cli(["logs", runId, "wait"]);
      expect(logs.stderr).toMatch(/try 1 failed: PipelineVersionUnavailableError: worker \S+ can't run it: pipeline hangs version \w+ is not the version in .*hangs\.ts/);
    });
  });
}

describe("distributed workers: bad input", () => {
  it("names the problem, exits 2 and changes nothing", async () => {
    const c = await startCluster("sqlite");
    const none = await c.cli(["workers"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no workers: there is no Weir store/);
    const badQueues = await c.cli(["worker", "--queues", "a b"]);
    expect(badQueues.code).toBe(2);
    expect(badQueues.stderr).toMatch(/--queues must be a comma-separated list of queue names/);
    const badExecutor = await c.cli(["scheduler", c.pipelines, "--executor", "cloud"]);
    expect(badExecutor.code).toBe(2);
    expect(badExecutor.stderr).toMatch(/executor must be "local" or "store", got "cloud" \(--executor\)/);
    const badDir = await c.cli(["worker", "--pipelines", `${c.pipelines}/missing`]);
    expect(badDir.code).toBe(2);
    expect(badDir.stderr).toMatch(/no such file or directory: .*missing/);
    // None of them registered a worker or created the store.
    expect(await c.json<WorkersDoc>(["workers"]).catch(() => null)).toBeNull();
  });
});
