// store.checkpoint(): what an idle scheduler calls after a burst of work (SQLite copies its write-ahead log into
// the database; Postgres has nothing to do). It changes nothing a reader sees, and a second store on the same
// SQLite file (another process's) keeps reading and writing around it. On SQLite and Postgres.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { openTestStore, STORE_KINDS } from "../support/test-stores.js";
import { graph, newRun } from "./fixtures.js";

const T0 = Date.UTC(2026, 0, 1);
const stores: Store[] = [];
const homes: string[] = [];
afterAll(async () => {
  for (const store of stores.reverse()) await store.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

for (const kind of STORE_KINDS) {
  describe(`checkpoint on ${kind}`, () => {
    it("keeps every committed write readable, before and after, again and again", async () => {
      const home = mkdtempSync(join(tmpdir(), "weir-checkpoint-"));
      homes.push(home);
      const store = await openTestStore(kind, home);
      stores.push(store);
      await store.savePipelineVersion(graph("p", "v1"), T0);
      await store.createRuns(Array.from({ length: 300 }, (_, i) => newRun({ id: `r${i}`, logicalDateMs: T0 + i })), T0);
      await store.checkpoint();
      await store.checkpoint();
      await store.createRun(newRun({ id: "after" }), T0 + 1);
      expect(await store.listRuns({ pipelineId: "p", limit: 1000 })).toHaveLength(301);
      expect(await store.listTaskInstances("r299")).toHaveLength(3);
      await store.checkpoint();
      expect((await store.getRun("after"))?.state).toBe("queued");
    });
  });
}

describe("checkpoint on sqlite, with a second connection on the file (another process, say)", () => {
  it("neither waits for the other store nor hides its writes", async () => {
    const home = mkdtempSync(join(tmpdir(), "weir-checkpoint-"));
    homes.push(home);
    const first = await openStore(undefined, home);
    stores.push(first);
    await first.migrate();
    const second = await openStore(undefined, home);
    stores.push(second);
    await first.savePipelineVersion(graph("p", "v1"), T0);
    await second.createRuns(Array.from({ length: 50 }, (_, i) => newRun({ id: `s${i}`, logicalDateMs: T0 + i })), T0);
    await first.checkpoint();
    await second.createRun(newRun({ id: "late" }), T0 + 1);
    await second.checkpoint();
    expect(await first.listRuns({ pipelineId: "p", limit: 100 })).toHaveLength(51);
    expect((await first.getRun("late"))?.state).toBe("queued");
  });
});
