// kill -9 of `weir dev` right before and right after the transaction that creates the first due runs started
// (create-due-runs.ts: running, their first tasks scheduled, nothing dispatched yet), then restart until done.
// Proves: before, nothing was created and the restart creates every interval; after, the runs left running by a
// dead scheduler are adopted and run; either way one run per (pipeline, logical date), every run succeeds, and
// no try runs twice. The fixture is the crash tests' (three daily pipelines catching up a week, maxActiveRuns 3).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newTestStoreLocation, type StoreKind } from "../support/test-stores.js";
import { devUntil } from "../support/weir-process.js";
import { allManyRunsDone, MANY_DIR, MANY_RUNS } from "../crash/many-fixture.js";

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const cases: [StoreKind, string][] = [
  ["sqlite", "before_commit:1"],
  ["sqlite", "after_commit:1"],
  ["postgres", "after_commit:1"],
];

describe("kill -9 around the commit that creates the due runs started", () => {
  for (const [kind, crashAt] of cases) {
    it(`${kind}: crash at ${crashAt}, then restart until every interval ran once`, async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-duecrash-"));
      homes.push(home);
      const location = await newTestStoreLocation(kind, home);
      const env: Record<string, string> = location.databaseUrl === undefined ? {} : { WEIR_DATABASE_URL: location.databaseUrl };
      const done = () => allManyRunsDone(home, location);
      expect(await devUntil(MANY_DIR, home, { ...env, WEIR_TEST_CRASH_AT: crashAt }, done)).toBe("crashed");

      const store = await location.open();
      try {
        const left = await store.listRuns({ limit: 1000 });
        if (crashAt.startsWith("before")) expect(left).toEqual([]);
        else {
          // The first pass's runs, as that one transaction left them: 3 per pipeline running, their roots scheduled.
          const running = left.filter((r) => r.state === "running");
          expect(running).toHaveLength(9);
          for (const run of running) expect((await store.listTaskInstances(run.id)).map((i) => `${i.taskId}:${i.state}`)).toEqual(["a:scheduled", "b:pending", "c:pending", "d:pending"]);
          expect(await store.listTries(running[0]!.id)).toEqual([]);
        }
      } finally {
        await store.close();
      }

      expect(await devUntil(MANY_DIR, home, env, done)).toBe("done");
      const check = await location.open();
      try {
        const runs = await check.listRuns({ limit: 1000 });
        const keys = runs.map((r) => `${r.pipelineId}@${new Date(r.logicalDateMs).toISOString().slice(0, 10)}`);
        expect(new Set(keys).size).toBe(MANY_RUNS);
        expect(runs.every((r) => r.state === "success")).toBe(true);
        const starts = readFileSync(join(home, "ledger.txt"), "utf8").trim().split("\n").filter((l) => l.startsWith("start "));
        expect(new Set(starts).size).toBe(starts.length); // no try ran twice
        for (const run of runs) {
          const tries = await check.listTries(run.id);
          for (const task of ["a", "b", "c", "d"]) expect(tries.filter((t) => t.taskId === task && t.state === "success")).toHaveLength(1);
        }
      } finally {
        await check.close();
      }
    }, 120_000);
  }
});
