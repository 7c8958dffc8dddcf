// Shared pieces of the mapping tests: fixture paths as a user types them, and the store read back directly.
import { join, relative } from "node:path";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";
import { decodeValue } from "../../src/worker/value-codec.js";
import { ROOT } from "../cli/helpers.js";

export const mappingFixture = (name: string): string => relative(ROOT, join(import.meta.dirname, "fixtures", name));

/** Opens the home's store, runs `use`, closes it. */
export async function withHomeStore<T>(home: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ path: join(home, "weir.db") });
  try {
    await store.migrate();
    return await use(store);
  } finally {
    await store.close();
  }
}

/** The decoded output of an unmapped task of a run. */
export async function outputOf(home: string, runId: string, taskId: string): Promise<unknown> {
  return withHomeStore(home, async (store) => {
    const text = (await store.getOutputs(runId, [taskId])).get(taskId);
    return text === undefined ? undefined : decodeValue(text);
  });
}
