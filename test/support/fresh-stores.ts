// Fresh stores for a test file that runs on both kinds: each in its own temporary home, all closed and their
// homes deleted once the file's tests are done (closing a store twice is harmless, so a test may close its own).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { Store } from "../../src/store/types.js";
import { openTestStore, type StoreKind } from "./test-stores.js";

/** Call at the top of a test file; the function it returns opens a new, empty, migrated store of a kind. */
export function useFreshStores(homePrefix: string): (kind: StoreKind) => Promise<Store> {
  const stores: Store[] = [];
  const homes: string[] = [];
  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });
  return async (kind) => {
    const home = mkdtempSync(join(tmpdir(), homePrefix));
    homes.push(home);
    const store = await openTestStore(kind, home);
    stores.push(store);
    return store;
  };
}
