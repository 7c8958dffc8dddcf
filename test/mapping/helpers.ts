// Shared pieces of the mapping tests: fixture paths as a user types them, and the store read back directly.
import { join, relative } from "node:path";
import { decodeValue } from "../../src/worker/value-codec.js";
import { ROOT } from "../cli/helpers.js";
import { withHomeStore } from "../support/weir-process.js";

export { withHomeStore };

export const mappingFixture = (name: string): string => relative(ROOT, join(import.meta.dirname, "fixtures", name));

/** The decoded output of an unmapped task of a run. */
export async function outputOf(home: string, runId: string, taskId: string): Promise<unknown> {
  return withHomeStore(home, async (store) => {
    const text = (await store.getOutputs(runId, [taskId])).get(taskId);
    return text === undefined ? undefined : decodeValue(text);
  });
}
