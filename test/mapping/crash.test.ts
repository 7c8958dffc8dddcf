// kill -9 of `weir run` in the middle of a 1,000-way mapped task, then `weir run --resume`: no instance is
// lost, no instance whose success was committed runs again, a try in flight at the crash is recorded lost,
// and the reduce after it sees all 1,000 results.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnWeir } from "../support/weir-process.js";
import { mappingFixture, outputOf, withHomeStore } from "./helpers.js";

const FIXTURE = mappingFixture("map_1000.ts");
const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

async function runId(home: string): Promise<string> {
  return withHomeStore(home, async (store) => {
    const runs = await store.listRuns({ pipelineId: "map_1000" });
    expect(runs).toHaveLength(1);
    return (runs[0] as { id: string }).id;
  });
}

async function checkNothingLostOrRunTwice(home: string, id: string): Promise<void> {
  await withHomeStore(home, async (store) => {
    expect((await store.getRun(id))?.state).toBe("success");
    const instances = (await store.listTaskInstances(id)).filter((i) => i.taskId === "work");
    expect(instances).toHaveLength(1000);
    expect(new Set(instances.map((i) => i.mapIndex)).size).toBe(1000);
    const tries = await store.listTries(id, "work");
    const starts = readFileSync(join(home, "ledger.txt"), "utf8").trim().split("\n").filter((l) => l.startsWith("start "));
    // No try runs twice.
    expect(new Set(starts).size).toBe(starts.length);
    const ran = new Map<number, number[]>();
    for (const line of starts) {
      const [, index, tryNumber] = line.split(" ");
      ran.set(Number(index), [...(ran.get(Number(index)) ?? []), Number(tryNumber)]);
    }
    const byInstance = new Map<number, typeof tries>();
    for (const t of tries) byInstance.set(t.mapIndex, [...(byInstance.get(t.mapIndex) ?? []), t]);
    let lost = 0;
    for (const instance of instances) {
      expect(instance.state).toBe("success");
      const mine = byInstance.get(instance.mapIndex) ?? [];
      // Exactly one success, and it is the last try: a committed success never runs again.
      expect(mine.filter((t) => t.state === "success").map((t) => t.tryNumber)).toEqual([instance.tryNumber]);
      for (const t of mine.filter((t) => t.tryNumber < instance.tryNumber)) {
        expect(t.state).toBe("failed");
        expect(t.error?.kind).toBe("lost");
        lost++;
      }
      // User code ran only for tries the store knows about, and ran the successful one.
      const mineRan = ran.get(instance.mapIndex) ?? [];
      for (const n of mineRan) expect(mine.some((t) => t.tryNumber === n)).toBe(true);
      expect(mineRan).toContain(instance.tryNumber);
    }
    // Tries were in flight at the crash: they were recorded lost (and ran again without using retries).
    expect(lost).toBeGreaterThan(0);
  });
  expect(await outputOf(home, id, "total")).toBe((1000 * 1001) / 2);
}

describe("kill -9 in the middle of a 1,000-way mapped task, then --resume", () => {
  for (const crash of ["on_result:400", "after_commit:12", "after_dispatch:300"]) {
    it(`crash at ${crash}`, async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-map-crash-"));
      homes.push(home);
      const first = await spawnWeir(["run", FIXTURE, "--json"], home, { WEIR_TEST_CRASH_AT: crash });
      expect(first.signal, first.stderr).toBe("SIGKILL");
      expect(existsSync(join(home, "weir.db"))).toBe(true);
      const id = await runId(home);
      // Killed mid-way: some instances done, some not.
      await withHomeStore(home, async (store) => {
        const work = (await store.listTaskInstances(id)).filter((i) => i.taskId === "work");
        const done = work.filter((i) => i.state === "success").length;
        expect(work.length).toBe(1000);
        expect(done).toBeLessThan(1000);
      });
      const resumed = await spawnWeir(["run", "--resume", id, "--json"], home);
      expect(resumed.code, resumed.stderr).toBe(0);
      await checkNothingLostOrRunTwice(home, id);
    });
  }
});
