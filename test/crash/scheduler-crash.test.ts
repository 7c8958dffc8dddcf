// kill -9 of `weir dev` at named points while three pipelines catch up a week each, then restart until
// everything is done. Proves: no scheduled interval is lost or created twice; every run succeeds; a
// committed success is never run again; user code ran only for tries the store knows about.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newTestStoreLocation, STORE_KINDS, type TestStoreLocation } from "../support/test-stores.js";
import { devUntil } from "../support/weir-process.js";
import { allManyRunsDone, MANY_DIR, MANY_RUNS } from "./many-fixture.js";

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

async function check(home: string, location: TestStoreLocation): Promise<void> {
  const store = await location.open();
  try {
    const runs = await store.listRuns({ limit: 1000 });
    // One run per (pipeline, logical date): 3 pipelines × 7 days, none twice, none lost.
    const keys = runs.map((r) => `${r.pipelineId}@${new Date(r.logicalDateMs).toISOString().slice(0, 10)}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(MANY_RUNS);
    const starts = readFileSync(join(home, "ledger.txt"), "utf8").trim().split("\n").filter((l) => l.startsWith("start "));
    expect(new Set(starts).size).toBe(starts.length); // no try ran twice
    for (const run of runs) {
      expect(run.state).toBe("success");
      const tries = await store.listTries(run.id);
      for (const task of ["a", "b", "c", "d"]) {
        const mine = tries.filter((t) => t.taskId === task);
        expect(mine.filter((t) => t.state === "success")).toHaveLength(1);
        const last = Math.max(...mine.map((t) => t.tryNumber));
        expect(mine.find((t) => t.state === "success")?.tryNumber).toBe(last);
        for (const t of mine.filter((t) => t.tryNumber < last)) expect(t.error?.kind).toBe("lost");
        const ran = starts.filter((l) => l.split(" ")[1] === run.id && l.split(" ")[2] === task).map((l) => Number(l.split(" ")[3]));
        for (const n of ran) expect(mine.some((t) => t.tryNumber === n)).toBe(true);
      }
    }
  } finally {
    await store.close();
  }
}

describe.each(STORE_KINDS)("kill -9 of weir dev, then restart (%s)", (kind) => {
  const cases: [string, number][] = [
    ["before_commit", 3],
    ["after_commit", 4],
    ["after_dispatch", 6],
    ["on_result", 10],
    ["after_commit", 14],
  ];
  // Postgres runs the points where a commit and the work around it can part (the store is what differs).
  const points = kind === "sqlite" ? cases : cases.filter(([point, n]) => (point === "after_commit" && n === 4) || point === "on_result");
  for (const [point, n] of points) {
    it(`crash at ${point} #${n}, then restart until every interval ran once`, async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-devcrash-"));
      homes.push(home);
      const location = await newTestStoreLocation(kind, home);
      const env: Record<string, string> = location.databaseUrl === undefined ? {} : { WEIR_DATABASE_URL: location.databaseUrl };
      const done = () => allManyRunsDone(home, location);
      const first = await devUntil(MANY_DIR, home, { ...env, WEIR_TEST_CRASH_AT: `${point}:${n}` }, done);
      expect(first).toBe("crashed");
      // Restarts with a crash each time at a later point, then one without.
      expect(await devUntil(MANY_DIR, home, { ...env, WEIR_TEST_CRASH_AT: `${point}:${n + 7}` }, done)).toMatch(/crashed|done/);
      expect(await devUntil(MANY_DIR, home, env, done)).toBe("done");
      await check(home, location);
    }, 120_000);
  }
});
