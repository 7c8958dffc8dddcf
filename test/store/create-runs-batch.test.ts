// createRuns on batches larger than a chunk of instance rows (a minute's scheduled runs, a catch-up): input
// order, one run per (pipeline, logical date) within the batch and against the store, and the error naming the
// run at fault deep in the batch with nothing written. On SQLite and Postgres.
import { describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { NewRun, Store } from "../../src/store/types.js";
import { useFreshStores } from "../support/fresh-stores.js";
import { STORE_KINDS, type StoreKind } from "../support/test-stores.js";
import { graph, newRun } from "./fixtures.js";

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const freshStore = useFreshStores("weir-create-runs-");

async function fresh(kind: StoreKind): Promise<Store> {
  const store = await freshStore(kind);
  await store.savePipelineVersion(graph("p", "v1", ["a", "b"]), T0);
  return store;
}

const scheduled = (id: string, minute: number, extra: Partial<NewRun> = {}): NewRun =>
  newRun({ id, trigger: "scheduled", logicalDateMs: T0 + minute * MINUTE, intervalStartMs: T0 + minute * MINUTE, intervalEndMs: T0 + (minute + 1) * MINUTE, taskIds: ["a", "b"], ...extra });

for (const kind of STORE_KINDS) {
  describe(`createRuns in large batches on ${kind}`, () => {
    it("creates 701 runs in input order, skipping the (pipeline, logical date) pairs already taken", async () => {
      const store = await fresh(kind);
      await store.createRuns([scheduled("old_10", 10), scheduled("old_600", 600)], T0);
      const runs = Array.from({ length: 700 }, (_, i) => scheduled(`r${i}`, i, { owner: "me" }));
      // Minute 5 twice in the batch: the later one is not created.
      runs.push(scheduled("r5_again", 5));
      const results = await store.createRuns(runs, T0 + 1);
      expect(results).toHaveLength(701);
      expect(results[10]).toEqual({ id: "old_10", created: false });
      expect(results[600]).toEqual({ id: "old_600", created: false });
      expect(results[700]).toEqual({ id: "r5", created: false });
      expect(results.filter((r) => r.created)).toHaveLength(698);
      for (const i of [0, 499, 500, 627, 699]) expect(results[i]).toEqual({ id: `r${i}`, created: true });
      const r627 = await store.getRun("r627");
      expect(r627).toMatchObject({ state: "queued", owner: "me", logicalDateMs: T0 + 627 * MINUTE, createdMs: T0 + 1 });
      expect((await store.listTaskInstances("r627")).map((i) => [i.taskId, i.state])).toEqual([
        ["a", "pending"],
        ["b", "pending"],
      ]);
      expect(await store.listTaskInstances("old_600")).toHaveLength(2);
      expect(await store.latestScheduledLogicalDate("p")).toBe(T0 + 699 * MINUTE);
    });

    it("names the run at fault deep in a batch and writes nothing of it", async () => {
      const store = await fresh(kind);
      const runs = Array.from({ length: 650 }, (_, i) => scheduled(`r${i}`, i));
      runs[640] = scheduled("stray", 640, { version: "v404" });
      const error = await store.createRuns(runs, T0).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WeirError);
      expect((error as WeirError).code).toBe("pipeline_version_unknown");
      expect((error as WeirError).message).toContain("stray");
      expect(await store.listRuns({ pipelineId: "p" })).toEqual([]);

      runs[640] = scheduled("r3", 640);
      const taken = await store.createRuns(runs, T0).then(
        () => null,
        (e: unknown) => e,
      );
      expect((taken as WeirError).code).toBe("run_conflict");
      expect((taken as WeirError).message).toContain("r3");
      expect(await store.listRuns({ pipelineId: "p" })).toEqual([]);
    });
  });
}
