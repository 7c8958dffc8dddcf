// Several `weir scheduler --executor store` processes against one store (docs/distributed.md, "Several
// schedulers"), with real processes on SQLite and on Postgres: the second waits as a standby naming the
// holder; when the active one is killed (kill -9) or frozen (SIGSTOP) past its lease, the standby takes over,
// adopts the tries workers are running (they report to it: no try runs twice, no result is lost, even one the
// dead scheduler had taken but not committed), and every run completes, with no scheduled interval created
// twice. A frozen scheduler that comes back (SIGCONT) has
// lost the lease: it commits nothing and waits as a standby again.
import { describe, expect, it } from "vitest";
import { freshPostgresUrl, withClient } from "../support/postgres.js";
import { useClusters, waitFor, type Cluster, type Proc, type RunDoc, type WorkersDoc } from "../distributed/cluster.js";

// Tasks mark each time they run a try (`<run>~<task>~<try>~<worker>~<unique>`: a try run twice on one worker
// leaves two marks) and hold until the test releases them.
const FANOUT = `
import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { pipeline } from "weir";
const mark = (ctx) => writeFileSync(\`\${__MARKS__}/\${ctx.runId}~\${ctx.taskId}~\${ctx.tryNumber}~\${process.env.WEIR_TEST_WORKER}~\${randomUUID()}\`, "");
const held = async () => { while (!existsSync(\`\${__MARKS__}/../release\`)) await new Promise((r) => setTimeout(r, 50)); };
export default pipeline({ id: "fanout" }, (p) => {
  const needs = {};
  for (let i = 0; i < 5; i++) needs["t" + i] = p.task("t" + i, async (ctx) => { mark(ctx); await held(); return i; });
  p.task("end", { needs }, async (ctx, inputs) => { mark(ctx); return Object.values(inputs).reduce((a, b) => a + b, 0); });
});
`;

// A run a minute for the last few minutes (catch-up): created by whichever scheduler holds the lease.
const MINUTELY = (startIso: string): string => `
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { pipeline } from "weir";
export default pipeline({ id: "minutely", schedule: "* * * * *", start: ${JSON.stringify(startIso)}, catchup: true }, (p) => {
  p.task("tick", async (ctx) => { writeFileSync(\`\${__MARKS__}/\${ctx.runId}~tick~\${ctx.tryNumber}~\${process.env.WEIR_TEST_WORKER}~\${randomUUID()}\`, ""); return 1; });
});
`;

/** A short lease keeps the SIGSTOP test brief; the kill -9 one is taken over at once (a dead process of this host). */
const LEASE = { WEIR_SCHEDULER_LEASE: "3s" };

const startCluster = useClusters();

const ownerOf = (p: Proc): string => /scheduler running on \S+ as (\S+)/.exec(p.output())?.[1] ?? "";

async function runsOf(c: Cluster, pipeline: string): Promise<{ id: string; state: string; trigger: string; logicalDate: string }[]> {
  return (await c.json<{ runs: { id: string; state: string; trigger: string; logicalDate: string }[] }>(["runs", pipeline, "--limit", "100"])).runs;
}

/** Two schedulers (the first active, the second a standby naming it) and two workers of 2 slots. */
async function twoSchedulers(c: Cluster): Promise<{ first: Proc; second: Proc }> {
  const first = c.scheduler(LEASE);
  await waitFor("the first scheduler", () => ownerOf(first) !== "", first.output);
  const second = c.scheduler(LEASE);
  await waitFor("the standby", () => /standby: scheduler \S+ holds the lease/.test(second.output()), second.output);
  expect(second.output()).toContain(`standby: scheduler ${ownerOf(first)} holds the lease`);
  expect(second.output()).not.toMatch(/scheduler running/);
  c.worker("A", "default");
  c.worker("B", "default");
  await waitFor("two workers", async () => ((await c.json<WorkersDoc>(["workers"]).catch(() => ({ workers: [] }))).workers.filter((w) => w.state === "alive").length === 2));
  return { first, second };
}

/** Each (run, task) ran once, as try 1: nothing was retried or run twice across the takeover. */
function expectEachTaskOnce(c: Cluster, runIds: readonly string[], tasks: readonly string[]): void {
  const marks = c.markList().map((m) => m.split("~"));
  for (const runId of runIds) {
    const mine = marks.filter(([run]) => run === runId);
    expect(mine.map(([, task, tryNumber]) => `${task}#${tryNumber}`).sort()).toEqual(tasks.map((t) => `${t}#1`).sort());
  }
}

async function everyRunEnded(c: Cluster, runIds: readonly string[]): Promise<RunDoc[]> {
  const docs: RunDoc[] = [];
  await waitFor(
    "every run",
    async () => {
      docs.length = 0;
      for (const id of runIds) docs.push(await c.json<RunDoc>(["tasks", id]));
      return docs.every((d) => d.run.state === "success" || d.run.state === "failed");
    },
    () => c.markList().join(","),
  );
  return docs;
}

const FANOUT_TASKS = ["t0", "t1", "t2", "t3", "t4", "end"];

for (const store of ["sqlite", "postgres"] as const) {
  describe(`several schedulers on ${store}`, () => {
    it("a standby takes over from a scheduler killed mid-run (kill -9), adopting the tries workers run", async () => {
      const c = await startCluster(store);
      c.writePipeline("fanout.ts", FANOUT);
      c.writePipeline("minutely.ts", MINUTELY(new Date(Date.now() - 4 * 60_000).toISOString()));
      const { first, second } = await twoSchedulers(c);
      const runIds = [(await c.json<{ run: { id: string } }>(["trigger", "fanout"])).run.id, (await c.json<{ run: { id: string } }>(["trigger", "fanout"])).run.id];
      // Four tries run on the workers (their 4 slots) and more wait queued in the store: then the kill.
      await waitFor("tries in flight", () => c.markList().filter((m) => /~t\d~/.test(m)).length === 4, first.output);
      const scheduledBefore = (await runsOf(c, "minutely")).filter((r) => r.trigger === "scheduled");
      first.child.kill("SIGKILL");
      const killedAt = Date.now();
      await new Promise((r) => first.child.once("close", r));
      await waitFor("the takeover", () => /scheduler running/.test(second.output()), second.output);
      console.log(`[${store}] kill -9: the standby took over ${Date.now() - killedAt} ms after the kill (a dead process of this host: at its next look, not at lease expiry)`);

      c.touch("release");
      const docs = await everyRunEnded(c, runIds);
      expect(docs.map((d) => d.run.state)).toEqual(["success", "success"]);
      for (const doc of docs) expect(doc.tasks.every((t) => t.state === "success" && t.tries === 1)).toBe(true);
      expectEachTaskOnce(c, runIds, FANOUT_TASKS);
      expect(second.output()).not.toMatch(/WorkerLostError|TryLostError/);

      // Scheduled runs: one per minute, whichever scheduler created it, and every one ran its task once.
      await waitFor("the scheduled runs", async () => (await runsOf(c, "minutely")).every((r) => r.state === "success"));
      const scheduled = (await runsOf(c, "minutely")).filter((r) => r.trigger === "scheduled");
      expect(scheduled.length).toBeGreaterThanOrEqual(scheduledBefore.length);
      expect(new Set(scheduled.map((r) => r.logicalDate)).size).toBe(scheduled.length);
      expectEachTaskOnce(
        c,
        scheduled.map((r) => r.id),
        ["tick"],
      );
    });

    it("applies a result the dead scheduler had taken from the store but not committed: the try doesn't run again", async () => {
      const c = await startCluster(store);
      c.writePipeline("fanout.ts", FANOUT);
      // The first scheduler dies (SIGKILL, by its crash point) as the first result reaches its coordinator.
      const first = c.scheduler({ ...LEASE, WEIR_TEST_CRASH_AT: "on_result:1" });
      await waitFor("the first scheduler", () => ownerOf(first) !== "", first.output);
      const second = c.scheduler(LEASE);
      await waitFor("the standby", () => /standby: scheduler \S+ holds the lease/.test(second.output()), second.output);
      c.worker("A", "default");
      c.worker("B", "default");
      const runId = (await c.json<{ run: { id: string } }>(["trigger", "fanout"])).run.id;
      await waitFor("tries in flight", () => c.markList().length === 4, first.output);
      c.touch("release");
      await new Promise((r) => first.child.once("close", r));
      expect(first.child.signalCode).toBe("SIGKILL");
      const [doc] = await everyRunEnded(c, [runId]);
      expect(doc!.run.state).toBe("success");
      expect(doc!.tasks.every((t) => t.state === "success" && t.tries === 1)).toBe(true);
      expectEachTaskOnce(c, [runId], FANOUT_TASKS);
      expect(second.output()).not.toMatch(/WorkerLostError|TryLostError/);
    });

    it("refuses `weir dev --executor store` while a scheduler runs, and it takes none of that scheduler's tries", async () => {
      const c = await startCluster(store);
      c.writePipeline("fanout.ts", FANOUT);
      const first = c.scheduler(LEASE);
      await waitFor("the scheduler", () => ownerOf(first) !== "", first.output);
      c.worker("A", "default");
      c.worker("B", "default");
      const runId = (await c.json<{ run: { id: string } }>(["trigger", "fanout"])).run.id;
      await waitFor("tries in flight", () => c.markList().length === 4, first.output);
      const dev = await c.cli(["dev", c.pipelines, "--port", "0"], { WEIR_EXECUTOR: "store" });
      expect(dev.code).not.toBe(0);
      expect(dev.stderr).toMatch(/another scheduler is running against this store/);
      // The running scheduler still gets its workers' results: had the refused one adopted its try-queue rows
      // first, the results would go to a process that is gone and the run would never end.
      c.touch("release");
      const [doc] = await everyRunEnded(c, [runId]);
      expect(doc!.run.state).toBe("success");
      expectEachTaskOnce(c, [runId], FANOUT_TASKS);
      expect(first.output()).not.toMatch(/WorkerLostError|TryLostError/);
    });

    it("fences off a frozen scheduler (SIGSTOP): the standby takes over at lease expiry; resumed, the old one stands by", async () => {
      const c = await startCluster(store);
      c.writePipeline("fanout.ts", FANOUT);
      const { first, second } = await twoSchedulers(c);
      const runId = (await c.json<{ run: { id: string } }>(["trigger", "fanout"])).run.id;
      await waitFor("tries in flight", () => c.markList().length === 4, first.output);
      first.child.kill("SIGSTOP");
      const frozenAt = Date.now();
      await waitFor("the takeover", () => /scheduler running/.test(second.output()), second.output);
      console.log(`[${store}] SIGSTOP: the standby took over ${Date.now() - frozenAt} ms after the freeze (lease ${LEASE.WEIR_SCHEDULER_LEASE})`);

      c.touch("release");
      const [doc] = await everyRunEnded(c, [runId]);
      expect(doc!.run.state).toBe("success");
      expectEachTaskOnce(c, [runId], FANOUT_TASKS);

      // Resumed: it finds the lease taken, stops scheduling (nothing it had decided commits) and stands by.
      const before = first.output().length;
      first.child.kill("SIGCONT");
      await waitFor("the old scheduler to stand by", () => /standby: scheduler \S+ holds the lease/.test(first.output().slice(before)), first.output);
      expect(first.output().slice(before)).toMatch(/lost the scheduler lease to \S+/);
      expect(first.output().slice(before)).toContain(`standby: scheduler ${ownerOf(second)} holds the lease`);
      // The new scheduler goes on: a run triggered now completes under it, and the old one's run is unchanged.
      const later = (await c.json<{ run: { id: string } }>(["trigger", "fanout"])).run.id;
      const [laterDoc] = await everyRunEnded(c, [later]);
      expect(laterDoc!.run.state).toBe("success");
      expectEachTaskOnce(c, [runId, later], FANOUT_TASKS);
      expect((await c.json<RunDoc>(["tasks", runId])).tasks.every((t) => t.tries === 1)).toBe(true);

      // Ctrl-C on a standby: it leaves at once, cleanly.
      first.child.kill("SIGINT");
      expect(await new Promise((r) => first.child.once("close", r))).toBe(0);
    });
  });
}

// One task that marks its try and holds until released.
const HELD = `
import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { pipeline } from "weir";
export default pipeline({ id: "held" }, (p) => {
  p.task("a", async (ctx) => {
    writeFileSync(\`\${__MARKS__}/\${ctx.runId}~a~\${ctx.tryNumber}~\${process.env.WEIR_TEST_WORKER}~\${randomUUID()}\`, "");
    while (!existsSync(\`\${__MARKS__}/../release\`)) await new Promise((r) => setTimeout(r, 50));
    return 1;
  });
});
`;

describe("a scheduler whose coordinator stopped on a store error, on postgres", () => {
  it("gives the lease up and stands by instead of holding it while deciding nothing; the run then completes, its try run once", async () => {
    const url = await freshPostgresUrl();
    const c = await startCluster({ url });
    c.writePipeline("held.ts", HELD);
    const scheduler = c.scheduler(LEASE);
    await waitFor("the scheduler", () => ownerOf(scheduler) !== "", scheduler.output);
    const firstOwner = ownerOf(scheduler);
    c.worker("A", "default");
    const runId = (await c.json<{ run: { id: string } }>(["trigger", "held"])).run.id;
    await waitFor("the try in flight", () => c.markList().length === 1, scheduler.output);
    // The commit of the try's result fails: the table it writes is gone for a while.
    await withClient(url, (client) => client.query("ALTER TABLE tries RENAME TO tries_away"));
    c.touch("release");
    await waitFor("the coordinator to stop and the lease to be given up", () => /giving the scheduler lease up/.test(scheduler.output()), scheduler.output);
    await waitFor("the standby to take the lease again", () => /standby again/.test(scheduler.output()), scheduler.output);
    await withClient(url, (client) => client.query("ALTER TABLE tries_away RENAME TO tries"));
    const [doc] = await everyRunEnded(c, [runId]);
    expect(doc!.run.state).toBe("success");
    expect(doc!.tasks.map((t) => [t.id, t.tries])).toEqual([["a", 1]]);
    // The result the failed scheduler had taken stayed in the store until a commit: the try didn't run again.
    expect(c.markList()).toHaveLength(1);
    expect(ownerOf(scheduler)).toBe(firstOwner);
    expect(scheduler.output().match(/scheduler running on \S+ as \S+/g)?.length).toBe(2);
  });
});

describe("several schedulers: bad input", () => {
  it("names a bad WEIR_SCHEDULER_LEASE, exits 2 and creates nothing", async () => {
    const c = await startCluster("sqlite");
    const notDuration = await c.cli(["scheduler", c.pipelines, "--executor", "store"], { WEIR_SCHEDULER_LEASE: "soon" });
    expect(notDuration.code).toBe(2);
    expect(notDuration.stderr).toMatch(/WEIR_SCHEDULER_LEASE: "soon" is not a duration/);
    const tooShort = await c.cli(["scheduler", c.pipelines], { WEIR_SCHEDULER_LEASE: "500ms" });
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toMatch(/WEIR_SCHEDULER_LEASE must be at least 1s, got "500ms"/);
    // Neither created the store.
    expect((await c.cli(["workers"])).stderr).toMatch(/no workers: there is no Weir store/);
  });
});
