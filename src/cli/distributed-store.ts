// The store's distributed verbs for the CLI: only the SQL store has them (SQLite and Postgres alike).
import { WeirError } from "../common/errors.js";
import type { DistributedStore } from "../store/distributed-types.js";
import type { SharedArtifactStore } from "../store/shared-artifacts.js";
import { SqlStore } from "../store/sql-store.js";
import type { Store } from "../store/types.js";

export function distributedOf(store: Store): DistributedStore {
  return sqlStoreOf(store).distributed;
}

/** The artifacts machines share through the store (only the SQL store has them). */
export function sharedArtifactsOf(store: Store): SharedArtifactStore {
  return sqlStoreOf(store).sharedArtifacts;
}

function sqlStoreOf(store: Store): SqlStore {
  if (!(store instanceof SqlStore)) throw new WeirError("store_unsupported", `distributed workers need the SQL store (SQLite or Postgres), not a ${store.dialect} store`, { input: false });
  return store;
}

/** The version a worker registers with (the CLI's). */
export const WEIR_VERSION = "0.1.0";
