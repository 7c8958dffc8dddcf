// The contract every Store implementation passes (Dagster's TestRunStorage): the same cases run on a real
// SQLite file and on real Postgres. `open` returns a fresh, migrated, empty store; the cases live in one file
// per theme, each given `() => store`.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import { describeBackfillsPoolsContract } from "./backfills-pools-contract.js";
import { describeCacheContract } from "./cache-contract.js";
import { describeDeadlinesContract } from "./deadlines-contract.js";
import { T0, type StoreContractOptions } from "./contract-support.js";
import { describeDecisionsContract } from "./decisions-contract.js";
import { describeEventsContract } from "./events-contract.js";
import { graph } from "./fixtures.js";
import { describeLeaseContract } from "./lease-contract.js";
import { describeRunsContract } from "./runs-contract.js";
import { describeSchedulerContract } from "./scheduler-contract.js";

export function describeStoreContract(name: string, open: () => Promise<Store>, options: StoreContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await open();
      await store.savePipelineVersion(graph("p", "v1"), T0);
    });

    afterEach(async () => {
      await store.close();
    });

    describe("migrate", () => {
      it("is idempotent and keeps data", async () => {
        await store.migrate();
        await store.migrate();
        expect((await store.getPipeline("p"))?.version).toBe("v1");
      });
    });

    describeRunsContract(() => store);
    describeDecisionsContract(() => store);
    describeSchedulerContract(() => store);
    describeBackfillsPoolsContract(() => store);
    describeLeaseContract(() => store, options);
    describeCacheContract(() => store);
    describeEventsContract(() => store);
    describeDeadlinesContract(() => store);
  });
}
