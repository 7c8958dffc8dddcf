// `weir clear` through the real CLI on a real SQLite store: cleared instances run again with new tries,
// earlier tries and their logs kept; bad input is one line, exit 2, and changes nothing.
import { spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { badInputLine, byTask, fixture, logs, makeHome, ROOT, runDocument, runIdOf, statesOf, waitFor, type Home, type RunDocument } from "./helpers.js";

const FIXTURE = fixture("clear.ts");

/** A finished run of the fixture in which flaky failed: report upstream_failed, extract and side success. */
async function failedRun(h: Home): Promise<string> {
  writeFileSync(join(h.dir, "flaky-fails"), "");
  const result = await h.weir(["run", FIXTURE]);
  expect(result.code, result.stderr).toBe(1);
  rmSync(join(h.dir, "flaky-fails"));
  const runId = runIdOf(result);
  expect(statesOf(await runDocument(h, runId))).toEqual({ extract: "success", flaky: "failed", report: "upstream_failed", side: "success" });
  return runId;
}

describe("weir clear", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("clears a failed task with --downstream; `weir run --resume` finishes the run with new tries, history kept", async () => {
    h = makeHome();
    const runId = await failedRun(h);
    const before = byTask(await runDocument(h, runId));

    const cleared = await h.weir(["clear", runId, "--task", "flaky", "--downstream"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout.trim().split("\n")).toEqual(["cleared flaky: failed → scheduled (next try 2)", "cleared report: upstream_failed → pending (next try 1)"]);
    expect(cleared.stderr).toContain(`weir run --resume ${runId}`);

    const reopened = await runDocument(h, runId);
    expect(reopened.run).toMatchObject({ state: "running", endedAt: null });
    const tasks = byTask(reopened);
    // The cleared instance keeps its try count; its span starts over. What was not cleared is untouched.
    expect(tasks.get("flaky")).toMatchObject({ state: "scheduled", tries: 1, startedAt: null, endedAt: null });
    expect(tasks.get("report")).toMatchObject({ state: "pending", tries: 0 });
    expect(tasks.get("extract")).toEqual(before.get("extract"));
    expect(tasks.get("side")).toEqual(before.get("side"));

    const resumed = await h.weir(["run", "--resume", runId]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = await runDocument(h, runId);
    expect(done.run.state).toBe("success");
    expect(done.run.startedAt).toBe(reopened.run.startedAt);
    const final = byTask(done);
    expect(final.get("flaky")).toMatchObject({ state: "success", tries: 2 });
    expect(final.get("report")).toMatchObject({ state: "success", tries: 1 });
    expect(final.get("extract")).toEqual(before.get("extract"));

    // Try 1 is history: its log and error are still there; the latest is try 2.
    const first = await logs(h, runId, "flaky", 1);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/ out flaky try 1$/m);
    expect(first.stderr).toMatch(/^try 1 failed: Error: flaky fails on try 1$/m);
    const latest = await logs(h, runId, "flaky");
    expect(latest.stdout).toMatch(/ out flaky try 2$/m);
    expect(latest.stdout).not.toMatch(/flaky try 1/);
    expect((await logs(h, runId, "report")).stdout).toMatch(/ out report try 1 got 20$/m);
  });

  it("--failed-only clears only failed, upstream_failed and canceled instances; --json prints the run document", async () => {
    h = makeHome();
    const runId = await failedRun(h);
    const result = await h.weir(["clear", runId, "--failed-only", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(doc.run).toMatchObject({ id: runId, state: "running", endedAt: null });
    expect(statesOf(doc)).toEqual({ extract: "success", flaky: "scheduled", report: "pending", side: "success" });
    expect(doc).toEqual(await runDocument(h, runId));

    // Cleared already: nothing failed is left, so a second clear is bad input and changes nothing.
    expect(badInputLine(await h.weir(["clear", runId, "--failed-only"]))).toMatch(/nothing to clear in run \S+: no failed, upstream_failed or canceled task instance$/);
    expect(await runDocument(h, runId)).toEqual(doc);
    expect((await h.weir(["run", "--resume", runId])).code).toBe(0);
    expect(statesOf(await runDocument(h, runId))).toEqual({ extract: "success", flaky: "success", report: "success", side: "success" });
  });

  it("clears every ended instance of a successful run without --task; the run runs again from its roots", async () => {
    h = makeHome();
    const run = await h.weir(["run", FIXTURE]);
    expect(run.code, run.stderr).toBe(0);
    const runId = runIdOf(run);
    const result = await h.weir(["clear", runId]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual([
      "cleared extract: success → scheduled (next try 2)",
      "cleared flaky: success → pending (next try 2)",
      "cleared report: success → pending (next try 2)",
      "cleared side: success → pending (next try 2)",
    ]);
    expect((await h.weir(["run", "--resume", runId])).code).toBe(0);
    const doc = await runDocument(h, runId);
    expect(doc.run.state).toBe("success");
    expect(doc.tasks.map((t) => t.tries)).toEqual([2, 2, 2, 2]);
  });

  it("refuses bad input with one line and exit 2, writing nothing", async () => {
    h = makeHome();
    const runId = await failedRun(h);
    const before = await runDocument(h, runId);
    const cases: [string[], RegExp][] = [
      [["clear", "no_such_run"], /no run with id "no_such_run"/],
      [["clear", runId, "--task", "nope"], new RegExp(`run ${runId} of cli_clear has no task "nope"`)],
      [["clear", runId, "--task", "flaky", "--task", "nope", "--downstream"], /has no task "nope"/],
      [["clear", runId, "--task", "extract", "--failed-only"], /nothing to clear in run \S+: no failed, upstream_failed or canceled task instance among extract$/],
      [["clear", runId, "--task", "bad id!"], /has no task "bad id!"/],
      [["clear"], /missing required argument/],
    ];
    for (const [args, message] of cases) {
      const line = badInputLine(await h.weir(args));
      expect(line, args.join(" ")).toMatch(message);
    }
    expect(await runDocument(h, runId)).toEqual(before);

    // A queued run has nothing that ended.
    const queued = await h.weir(["trigger", "cli_clear", "--json"]);
    expect(queued.code, queued.stderr).toBe(0);
    const queuedId = (JSON.parse(queued.stdout) as RunDocument).run.id;
    expect(badInputLine(await h.weir(["clear", queuedId]))).toMatch(/has not started yet/);
  });

  it("won't clear under a live driver, nor an instance whose try is still running", async () => {
    h = makeHome();
    writeFileSync(join(h.dir, "hold"), "");
    const child = spawn(process.execPath, ["bin/weir.js", "run", FIXTURE], { cwd: ROOT, env: { ...process.env, WEIR_HOME: h.dir, NO_COLOR: "1" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      await waitFor(() => existsSync(join(h.dir, "side-started")), 30_000, "side to start");
      const runId = runIdOf({ code: null, signal: null, stdout: "", stderr });
      await waitFor(() => /report success/.test(stderr), 30_000, "report to succeed");
      const before = await runDocument(h, runId);
      expect(byTask(before).get("side")?.state).toBe("running");

      expect(badInputLine(await h.weir(["clear", runId, "--task", "extract"]))).toMatch(/is still running, driven by `weir run`/);

      // The driver dies: the run is left running, side's try 1 with it. Ended instances could be cleared
      // now, but side can't: its try has not ended (`weir run --resume` records it lost first).
      child.kill("SIGKILL");
      await exited;
      expect(badInputLine(await h.weir(["clear", runId, "--task", "side"]))).toMatch(new RegExp(`task side of run ${runId} is running \\(try 1\\): only task instances that have ended can be cleared`));
      expect(await runDocument(h, runId)).toEqual(before);
    } finally {
      child.kill("SIGKILL");
      rmSync(join(h.dir, "hold"), { force: true });
    }
  });
});
