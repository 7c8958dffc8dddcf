// Timeouts through the real CLI: a task ignoring its signal (its worker is killed after the grace), one
// that stops on its signal, and a shell command whose process group is stopped.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byTask, fixture, isAlive, logs, processesOf, makeHome, runDocument, runIdOf, waitFor, type CliResult, type Home, type RunDocument } from "./helpers.js";

describe("timeouts", () => {
  let h: Home;
  let result: CliResult;
  let runId: string;
  let doc: RunDocument;

  beforeAll(async () => {
    h = makeHome();
    // One worker per task, so the three time out side by side.
    result = await h.weir(["run", fixture("timeouts.ts"), "--concurrency", "3"]);
    runId = runIdOf(result);
    doc = await runDocument(h, runId);
  });
  afterAll(() => h.remove());

  it("the run fails with exit 1", () => {
    expect(result.code, result.stderr).toBe(1);
    expect(doc.run.state).toBe("failed");
  });

  it("a task that ignores its signal (busy loop) fails with TaskTimeoutError after its retry", async () => {
    expect(byTask(doc).get("busy")).toMatchObject({ state: "failed", tries: 2 });
    expect(result.stderr).toMatch(/ busy up_for_retry · TaskTimeoutError: task busy timed out after 300ms/);
    expect(result.stderr).toMatch(/ busy failed · try 2 · TaskTimeoutError: task busy timed out after 300ms/);
    for (const n of [1, 2]) {
      const log = await logs(h, runId, "busy", n);
      expect(log.stdout).toMatch(new RegExp(`info spinning \\{"try":${n}\\}`));
      expect(log.stderr).toMatch(new RegExp(`^try ${n} failed: TaskTimeoutError: task busy timed out after 300ms$`, "m"));
    }
  });

  it("a task that awaits its signal fails with TaskTimeoutError after its retry", async () => {
    expect(byTask(doc).get("cooperative")).toMatchObject({ state: "failed", tries: 2 });
    const log = await logs(h, runId, "cooperative", 2);
    expect(log.stdout).toMatch(/info waiting for the signal \{"try":2\}/);
    expect(log.stderr).toMatch(/^try 2 failed: TaskTimeoutError: task cooperative timed out after 300ms$/m);
  });

  it("a shell command past its timeout fails, and the process it started is gone", async () => {
    expect(byTask(doc).get("sleeper")).toMatchObject({ state: "failed", tries: 1 });
    const log = await logs(h, runId, "sleeper");
    expect(log.stdout).toMatch(/ out sleeping as \d+/);
    expect(log.stderr).toMatch(/^try 1 failed: TaskTimeoutError: task sleeper timed out after 300ms$/m);
    const pid = Number(readFileSync(join(h.dir, "sleeper-1.pid"), "utf8").trim());
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(pid), 10_000, `sleep (pid ${pid}) to be gone`);
  });

  it("leaves no process behind: no worker, no spinning task, no command", async () => {
    await waitFor(() => processesOf(h.dir).length === 0, 10_000, "the run's processes to be gone");
  });
});
