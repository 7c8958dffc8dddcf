// Opens the configured store for the read commands, migrated, and closes it when the command is done.
// A read never creates a store: asking about runs where nothing has run yet is bad input.
import { existsSync } from "node:fs";
import { WeirError } from "../common/errors.js";
import { openStore, resolveStoreLocation } from "../store/open-store.js";
import type { Store } from "../store/types.js";
import { resolveConfig } from "./config.js";

/** `lookingFor` names what the command wanted (`no run with id "x"`), for when there is no store at all. */
export async function withStore<T>(lookingFor: string, use: (store: Store, home: string) => Promise<T>): Promise<T> {
  const config = resolveConfig();
  const location = resolveStoreLocation(config.databaseUrl, config.home);
  if (location.dialect === "sqlite" && !existsSync(location.path)) {
    throw new WeirError("store_missing", `${lookingFor}: there is no Weir store at ${location.path} (nothing has run with WEIR_HOME=${config.home} yet)`);
  }
  const store = await openStore(config.databaseUrl, config.home);
  try {
    await store.migrate();
    return await use(store, config.home);
  } finally {
    await store.close();
  }
}
