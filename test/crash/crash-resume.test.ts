// kill -9 of `weir run` at named points and at random moments, then `weir run --resume`, until the run
// ends. Proves: the run finishes; every task succeeds exactly once in the store; no try runs twice; no
// user code runs for a try the store doesn't know; a try in flight at the crash is recorded lost.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const FIXTURE = join(ROOT, "test/crash/fixtures/crash_dag.ts");
const homes: string[] = [];

afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function weir(args: string[], home: string, env: Record<string, string> = {}, killAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/weir.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, WEIR_HOME: home, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function onlyRunId(home: string): Promise<string | null> {
  if (!existsSync(join(home, "weir.db"))) return null;
  const store = openSqliteStore({ path: join(home, "weir.db") });
  try {
    await store.migrate();
    const runs = await store.listRuns({ pipelineId: "crash_dag" });
    expect(runs.length).toBeLessThanOrEqual(1);
    return runs[0]?.id ?? null;
  } finally {
    await store.close();
  }
}

/** Drives the run to its end through crashes: the first attempt crashes as told, then resumes finish it. */
async function crashThenResume(home: string, crash: { env?: Record<string, string>; killAfterMs?: number }, extraKills: number[] = []): Promise<string> {
  const first = await weir(["run", FIXTURE, "--json"], home, crash.env ?? {}, crash.killAfterMs);
  let runId = await onlyRunId(home);
  if (first.signal === null) {
    // The crash point was never reached: the run must simply have succeeded.
    expect(first.code, first.stderr).toBe(0);
    expect(runId).not.toBeNull();
    return runId as string;
  }
  expect(first.signal).toBe("SIGKILL");
  if (runId === null) {
    // Killed before the run was created: nothing was written, so start again.
    const again = await weir(["run", FIXTURE, "--json"], home);
    expect(again.code, again.stderr).toBe(0);
    return (await onlyRunId(home)) as string;
  }
  for (const killAfterMs of extraKills) {
    const resumed = await weir(["run", "--resume", runId, "--json"], home, {}, killAfterMs);
    if (resumed.signal === null) {
      expect(resumed.code, resumed.stderr).toBe(0);
      return runId;
    }
  }
  const done = await weir(["run", "--resume", runId, "--json"], home);
  expect(done.code, done.stderr).toBe(0);
  runId = JSON.parse(done.stdout).run.id as string;
  return runId;
}

async function checkNothingLostOrRunTwice(home: string, runId: string): Promise<void> {
  const store = openSqliteStore({ path: join(home, "weir.db") });
  try {
    const run = await store.getRun(runId);
    expect(run?.state).toBe("success");
    const instances = await store.listTaskInstances(runId);
    expect(instances).toHaveLength(12);
    const tries = await store.listTries(runId);
    const ledger = readFileSync(join(home, "ledger.txt"), "utf8").trim().split("\n");
    const starts = ledger.filter((l) => l.startsWith("start "));
    // No try runs twice.
    expect(new Set(starts).size).toBe(starts.length);
    for (const instance of instances) {
      expect(instance.state, instance.taskId).toBe("success");
      const mine = tries.filter((t) => t.taskId === instance.taskId);
      // Exactly one recorded success, and it is the last try: a committed success is never run again.
      expect(mine.filter((t) => t.state === "success").map((t) => t.tryNumber)).toEqual([instance.tryNumber]);
      // Every earlier try ended failed; a try lost in a crash says so.
      for (const t of mine.filter((t) => t.tryNumber < instance.tryNumber)) {
        expect(t.state).toBe("failed");
        expect(t.error?.kind).toBe("lost");
      }
      // User code ran only for tries the store knows about.
      const ran = starts.filter((l) => l.split(" ")[1] === instance.taskId).map((l) => Number(l.split(" ")[2]));
      for (const n of ran) expect(mine.some((t) => t.tryNumber === n)).toBe(true);
      expect(ran).toContain(instance.tryNumber);
    }
  } finally {
    await store.close();
  }
}

function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), "weir-crash-"));
  homes.push(home);
  return home;
}

describe("kill -9 of weir run, then --resume", () => {
  const points = ["before_commit", "after_commit", "after_dispatch", "on_result"] as const;
  const occurrences = [1, 2, 5, 9, 14];
  for (const point of points) {
    for (const n of occurrences) {
      it(`crash at ${point} #${n}`, async () => {
        const home = freshHome();
        const runId = await crashThenResume(home, { env: { WEIR_TEST_CRASH_AT: `${point}:${n}` } });
        await checkNothingLostOrRunTwice(home, runId);
      });
    }
  }

  it("survives repeated kills at arbitrary moments", async () => {
    const home = freshHome();
    const runId = await crashThenResume(home, { killAfterMs: 350 }, [300, 320, 340, 360, 380]);
    await checkNothingLostOrRunTwice(home, runId);
  });
});
