// `weir dev` as a user runs it: a long-running process that schedules a pipeline directory, picks up
// `weir trigger` and `weir pause` from other processes, survives kill -9, and stops on Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, makeTempDir, ROOT, type Home } from "./helpers.js";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0).reverse()) undo();
});

function startDev(h: Home, dir: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["bin/weir.js", "dev", dir], { cwd: ROOT, env: { ...process.env, WEIR_HOME: h.dir, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d));
  child.stderr?.on("data", (d: Buffer) => (output += d));
  cleanup.push(() => child.kill("SIGKILL"));
  return { child, output: () => output };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, capMs = 30_000): Promise<void> {
  const until = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PIPELINE = `
import { pipeline } from "weir";
import { z } from "zod";
export default pipeline({ id: "hourly_job", schedule: "@hourly", start: "2025-01-01", catchup: false, params: z.object({ n: z.number().default(1) }) }, (p) => {
  const a = p.task("a", async (ctx) => ctx.params.n * 2);
  p.task("b", { needs: { a } }, async (_ctx, { a }) => a + 1);
});
`;

interface RunsDoc {
  runs: { id: string; state: string; trigger: string }[];
}

describe("weir dev", () => {
  it("schedules, takes triggers and pauses from other processes, resumes after kill -9, stops on Ctrl-C", async () => {
    const h = makeHome();
    cleanup.push(() => h.remove());
    const tmp = makeTempDir();
    cleanup.push(() => tmp.remove());
    tmp.write("hourly.ts", PIPELINE);
    const runs = async (): Promise<RunsDoc["runs"]> => {
      const result = await h.weir(["runs", "hourly_job", "--json"]);
      return result.code === 0 ? (JSON.parse(result.stdout) as RunsDoc).runs : [];
    };

    let dev = startDev(h, tmp.rel);
    // catchup off: the latest complete hour gets a run, and it succeeds.
    await waitFor("the scheduled run", async () => (await runs()).some((r) => r.trigger === "scheduled" && r.state === "success"));

    // A trigger from another process, with a param, runs too.
    const triggered = await h.weir(["trigger", "hourly_job", "--param", "n=5", "--json"]);
    expect(triggered.code, triggered.stderr).toBe(0);
    const runId = (JSON.parse(triggered.stdout) as { run: { id: string } }).run.id;
    await waitFor("the triggered run", async () => (await runs()).some((r) => r.id === runId && r.state === "success"));

    // Bad input changes nothing.
    const bad = await h.weir(["trigger", "hourly_job", "--param", "n=abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/param n/);
    expect(await h.weir(["pause", "nope"])).toMatchObject({ code: 2 });

    expect((await h.weir(["pause", "hourly_job"])).code).toBe(0);
    expect((await h.weir(["unpause", "hourly_job"])).code).toBe(0);

    // kill -9, then a new `weir dev`: it takes over the dead one's lease at once and schedules no
    // interval twice (one run per scheduled logical date, enforced by the store).
    dev.child.kill("SIGKILL");
    await new Promise((r) => dev.child.once("close", r));
    const scheduledBefore = (await runs()).filter((r) => r.trigger === "scheduled").length;
    dev = startDev(h, tmp.rel);
    await waitFor("the restarted scheduler", () => /scheduler running/.test(dev.output()));
    const scheduledAfter = (await runs()).filter((r) => r.trigger === "scheduled");
    expect(scheduledAfter.length - scheduledBefore).toBeLessThanOrEqual(1); // an hour may have ended meanwhile
    await waitFor("every run finished", async () => (await runs()).every((r) => r.state === "success"));

    // A second `weir dev` on the same store is refused while this one lives (a second `weir scheduler`
    // would wait as a standby instead: test/ha).
    const second = await h.weir(["dev", tmp.rel, "--port", "0"]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another scheduler is running/);

    // Ctrl-C stops it cleanly.
    dev.child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => dev.child.once("close", r));
    expect(code).toBe(0);
  }, 90_000);
});
