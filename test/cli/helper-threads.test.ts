// `weir run` lowers the priority of its helper threads (V8's compiler and GC threads, libuv's) and not of
// its event loop or its workers (src/cli/helper-threads.ts); WEIR_HELPER_NICE sets the value or turns it off.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { fixture, logs, makeHome, runIdOf, type Home } from "./helpers.js";

interface Report {
  main: number;
  helpers: number[];
  worker: number;
}

async function threadsOfRun(h: Home, env: Record<string, string> = {}): Promise<Report> {
  const result = await h.weir(["run", fixture("thread_priorities.ts")], env);
  expect(result.code, result.stderr).toBe(0);
  const log = await logs(h, runIdOf(result), "report");
  const line = /threads (\{.*\})/.exec(log.stdout);
  if (!line) throw new Error(`no report in the task's log: ${log.stdout}`);
  return JSON.parse(line[1] as string) as Report;
}

describe.runIf(process.platform === "linux")("helper threads of a process that drives runs", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("run at nice 19 by default, while the main thread and the worker stay at 0", async () => {
    h = makeHome();
    const report = await threadsOfRun(h);
    expect(report.main).toBe(0);
    expect(report.worker).toBe(0);
    // V8's platform threads exist from the start; libuv's pool, started later, inherits the main thread's 0.
    expect(report.helpers.filter((nice) => nice === 19).length).toBeGreaterThanOrEqual(4);
    expect(report.helpers.every((nice) => nice === 19 || nice === 0)).toBe(true);
  });

  it("take WEIR_HELPER_NICE, and 0 leaves every thread as it was", async () => {
    h = makeHome();
    const five = await threadsOfRun(h, { WEIR_HELPER_NICE: "5" });
    expect(five.helpers.filter((nice) => nice === 5).length).toBeGreaterThanOrEqual(4);
    const off = await threadsOfRun(h, { WEIR_HELPER_NICE: "0" });
    expect(off.helpers.every((nice) => nice === 0)).toBe(true);
    expect(off.main).toBe(0);
  });
});

describe("WEIR_HELPER_NICE", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("refuses a value outside 0–19 with exit 2, naming the variable, before anything is written", async () => {
    h = makeHome();
    for (const bad of ["20", "-1", "high", "2.5"]) {
      const result = await h.weir(["run", fixture("thread_priorities.ts")], { WEIR_HELPER_NICE: bad });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain("WEIR_HELPER_NICE");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(existsSync(h.db)).toBe(false);
  });
});
