// kill -9 of `weir run` at named points and at random moments, then `weir run --resume`, until the run
// ends. Proves: the run finishes; every task succeeds exactly once in the store; no try runs twice; no
// user code runs for a try the store doesn't know; a try in flight at the crash is recorded lost.
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newTestStoreLocation, STORE_KINDS, type StoreKind, type TestStoreLocation } from "../support/test-stores.js";
import { ROOT, spawnWeir, type WeirOutcome } from "../support/weir-process.js";

const FIXTURE = join(ROOT, "test/crash/fixtures/crash_dag.ts");
const homes: string[] = [];

afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A test's WEIR_HOME (the ledger, the logs) and its store (SQLite in the home, or a Postgres database). */
interface Place {
  home: string;
  location: TestStoreLocation;
}

function weir(args: string[], at: Place, env: Record<string, string> = {}, killAfterMs?: number): Promise<WeirOutcome> {
  const store: Record<string, string> = at.location.databaseUrl === undefined ? {} : { WEIR_DATABASE_URL: at.location.databaseUrl };
  return spawnWeir(args, at.home, { ...store, ...env }, killAfterMs);
}

async function onlyRunId(at: Place): Promise<string | null> {
  if (at.location.kind === "sqlite" && !existsSync(join(at.home, "weir.db"))) return null;
  const store = await at.location.open();
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
async function crashThenResume(at: Place, crash: { env?: Record<string, string>; killAfterMs?: number }, extraKills: number[] = []): Promise<string> {
  const first = await weir(["run", FIXTURE, "--json"], at, crash.env ?? {}, crash.killAfterMs);
  let runId = await onlyRunId(at);
  if (first.signal === null) {
    // The crash point was never reached: the run must simply have succeeded.
    expect(first.code, first.stderr).toBe(0);
    expect(runId).not.toBeNull();
    return runId as string;
  }
  expect(first.signal).toBe("SIGKILL");
  if (runId === null) {
    // Killed before the run was created: nothing was written, so start again.
    const again = await weir(["run", FIXTURE, "--json"], at);
    expect(again.code, again.stderr).toBe(0);
    return (await onlyRunId(at)) as string;
  }
  for (const killAfterMs of extraKills) {
    const resumed = await weir(["run", "--resume", runId, "--json"], at, {}, killAfterMs);
    if (resumed.signal === null) {
      expect(resumed.code, resumed.stderr).toBe(0);
      return runId;
    }
  }
  const done = await weir(["run", "--resume", runId, "--json"], at);
  expect(done.code, done.stderr).toBe(0);
  runId = JSON.parse(done.stdout).run.id as string;
  return runId;
}

async function checkNothingLostOrRunTwice(at: Place, runId: string): Promise<void> {
  const store = await at.location.open();
  try {
    const run = await store.getRun(runId);
    expect(run?.state).toBe("success");
    const instances = await store.listTaskInstances(runId);
    expect(instances).toHaveLength(12);
    const tries = await store.listTries(runId);
    const ledger = readFileSync(join(at.home, "ledger.txt"), "utf8").trim().split("\n");
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

async function freshPlace(kind: StoreKind): Promise<Place> {
  const home = mkdtempSync(join(tmpdir(), "weir-crash-"));
  homes.push(home);
  return { home, location: await newTestStoreLocation(kind, home) };
}

describe.each(STORE_KINDS)("kill -9 of weir run, then --resume (%s)", (kind) => {
  const points = ["before_commit", "after_commit", "after_dispatch", "on_result"] as const;
  // Every point on SQLite; on Postgres each point once, at a later occurrence (the store is what differs).
  const occurrences = kind === "sqlite" ? [1, 2, 5, 9, 14] : [5];
  for (const point of points) {
    for (const n of occurrences) {
      it(`crash at ${point} #${n}`, async () => {
        const at = await freshPlace(kind);
        const runId = await crashThenResume(at, { env: { WEIR_TEST_CRASH_AT: `${point}:${n}` } });
        await checkNothingLostOrRunTwice(at, runId);
      });
    }
  }

  it("survives repeated kills at arbitrary moments", async () => {
    const at = await freshPlace(kind);
    const runId = await crashThenResume(at, { killAfterMs: 350 }, [300, 320, 340, 360, 380]);
    await checkNothingLostOrRunTwice(at, runId);
  });
});
