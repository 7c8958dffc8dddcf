// Retries through the real CLI: fixed and exponential backoff ending in success, and retries exhausted.
import { afterEach, describe, expect, it } from "vitest";
import { byTask, fixture, logs, makeHome, runDocument, runIdOf, statesOf, type Home } from "./helpers.js";

describe("retries", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("retries a task failing on tries 1–2 until it succeeds on try 3; each try keeps its log and error", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("retries.ts")]);
    expect(result.code, result.stderr).toBe(0);
    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(doc.run.state).toBe("success");
    const tasks = byTask(doc);
    expect(tasks.get("flaky")).toMatchObject({ state: "success", tries: 3 });
    expect(tasks.get("flaky_backoff")).toMatchObject({ state: "success", tries: 3 }); // exponential backoff

    // Piped progress shows the retries with their errors.
    expect(result.stderr).toMatch(/ flaky up_for_retry · Error: flaky failed on try 1 · retry at /);
    expect(result.stderr).toMatch(/ flaky up_for_retry · try 2 · Error: flaky failed on try 2 · retry at /);
    expect(result.stderr).toMatch(/ flaky success · try 3/);
    expect(result.stderr).toMatch(/ flaky_backoff up_for_retry · try 2 · Error: backoff failed on try 2/);

    // The retry times the run chose follow the policy (computed values, not measured time): fixed waits
    // retryDelay each time; exponential waits between retryDelay·2ⁿ⁻¹ and twice that before retry n.
    expect(retryDelays(result.stderr, "flaky")).toEqual([50, 50]);
    const backoff = retryDelays(result.stderr, "flaky_backoff");
    expect(backoff).toHaveLength(2);
    expect(backoff[0]).toBeGreaterThanOrEqual(20);
    expect(backoff[0]).toBeLessThanOrEqual(40);
    expect(backoff[1]).toBeGreaterThanOrEqual(40);
    expect(backoff[1]).toBeLessThanOrEqual(80);

    const first = await logs(h, runId, "flaky", 1);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^\S+Z out flaky try 1 of 3 starting$/m);
    expect(first.stdout).toMatch(/^\S+Z info attempt \{"try":1\}$/m);
    expect(first.stdout).toMatch(/^\S+Z error Error: flaky failed on try 1$/m);
    expect(first.stdout).not.toContain("try 2 of 3");
    expect(first.stderr).toMatch(/^try 1 failed: Error: flaky failed on try 1$/m);

    // Without --try: the latest try, which succeeded (no error line).
    const latest = await logs(h, runId, "flaky");
    expect(latest.code).toBe(0);
    expect(latest.stdout).toMatch(/ out flaky try 3 of 3 starting/);
    expect(latest.stdout).not.toMatch(/ out flaky try [12] /);
    expect(latest.stderr).not.toMatch(/failed/);
  });

  it("fails a task that always fails after retries + 1 tries; its downstream is upstream_failed and the exit is 1", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("retries_exhausted.ts")]);
    expect(result.code, result.stderr).toBe(1);
    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(doc.run.state).toBe("failed");
    expect(byTask(doc).get("broken")).toMatchObject({ state: "failed", tries: 2 });
    expect(statesOf(doc)).toEqual({ broken: "failed", report: "upstream_failed", publish: "upstream_failed" });
    expect(byTask(doc).get("report")?.tries).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^weir: run ${runId} failed`, "m"));
    expect(result.stderr).toMatch(/failed: broken — see `weir logs \S+ broken`/);

    const second = await logs(h, runId, "broken", 2);
    expect(second.stdout).toMatch(/ err broken try 2$/m);
    expect(second.stderr).toMatch(/^try 2 failed: Error: broken always fails \(try 2\)$/m);
    const never = await logs(h, runId, "report");
    expect(never.code).toBe(0);
    expect(never.stderr).toMatch(/has not run yet .*upstream_failed/);
  });
});

/** From piped progress: for each `up_for_retry` line of a task, retry-at minus the line's time, in ms. */
function retryDelays(stderr: string, taskId: string): number[] {
  const delays: number[] = [];
  for (const line of stderr.split("\n")) {
    const match = new RegExp(`^(\\S+) ${taskId} up_for_retry · .* · retry at (\\S+)$`).exec(line);
    if (match) delays.push(Date.parse(match[2] as string) - Date.parse(match[1] as string));
  }
  return delays;
}

