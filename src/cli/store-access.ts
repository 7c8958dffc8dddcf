// Opens the configured store for the read commands, migrated, and closes it when the command is done.
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/types.js";
import { resolveConfig } from "./config.js";

export async function withStore<T>(use: (store: Store, home: string) => Promise<T>): Promise<T> {
  const config = resolveConfig();
  const store = await openStore(config.databaseUrl, config.home);
  try {
    await store.migrate();
    return await use(store, config.home);
  } finally {
    await store.close();
  }
}
