// The crash tests' scheduler fixture: three daily pipelines catching up a week each (maxActiveRuns 3), 21 runs
// in all, and the check that a store holds all of them, succeeded. Shared by test/crash and test/scheduler.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestStoreLocation } from "../support/test-stores.js";

export const MANY_DIR = "test/crash/fixtures/many";
export const MANY_RUNS = 21;

/** Every run of the fixture is in the store, in success (false while the store isn't there or is busy). */
export async function allManyRunsDone(home: string, location: TestStoreLocation): Promise<boolean> {
  if (location.kind === "sqlite" && !existsSync(join(home, "weir.db"))) return false;
  const store = await location.open();
  try {
    const runs = await store.listRuns({ limit: 1000 });
    return runs.length === MANY_RUNS && runs.every((r) => r.state === "success");
  } catch {
    return false;
  } finally {
    await store.close();
  }
}
