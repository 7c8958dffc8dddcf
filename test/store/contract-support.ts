// What the store contract files share: the clock they start at, the options a backend passes, and helpers
// that read the store of the current test (`store()`: fresh, migrated, pipeline p at version v1 saved).
import { expect } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import type { Store } from "../../src/store/types.js";
import { DAY_MS, SEP_1, decision, newRun } from "./fixtures.js";

export const T0 = 1_760_000_000_000;

export interface StoreContractOptions {
  /**
   * Set for a store whose lease verbs run on the database's clock (Postgres): reads that clock. Absent: the
   * caller's `nowMs` decides (SQLite), and lease tests simulate time.
   */
  databaseNowMs?: () => Promise<number>;
}

/** The WeirError `promise` rejects with (the test fails if it resolves or rejects with something else). */
export async function errorOf(promise: Promise<unknown>): Promise<WeirError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeirError);
  return error as WeirError;
}

/** The start of day `n` after SEP_1. */
export const day = (n: number): number => SEP_1 + n * DAY_MS;

/** Helpers over the current test's store. */
export function runHelpers(store: () => Store) {
  return {
    /** Creates run `id` and moves it to running. */
    async startedRun(id: string, taskIds = ["a", "b", "c"]): Promise<void> {
      await store().createRun(newRun({ id, taskIds }), T0);
      const result = await store().applyDecisions([decision(id, T0 + 1, [], { from: "queued", to: "running" })]);
      expect(result.conflicts).toEqual([]);
    },

    /** The unmapped instance of `taskId` in `runId`. */
    async instance(runId: string, taskId: string) {
      const found = (await store().listTaskInstances(runId)).find((i) => i.taskId === taskId && i.mapIndex === -1);
      if (found === undefined) throw new Error(`no instance ${taskId}`);
      return found;
    },
  };
}
