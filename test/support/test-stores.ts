// Integration tests that run on both stores (DESIGN.md §5: "the same test suite runs against both"): a fresh,
// migrated store of either kind, and the WEIR_DATABASE_URL that points a child process (weir dev) at it.
import { join } from "node:path";
import { openPostgresStore } from "../../src/store/postgres/open-postgres-store.js";
import { openSqliteStore } from "../../src/store/sqlite/open-sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { freshPostgresUrl } from "./postgres.js";

export type StoreKind = "sqlite" | "postgres";

export const STORE_KINDS: readonly StoreKind[] = ["sqlite", "postgres"];

/** Where a test's store lives: WEIR_DATABASE_URL for child processes (unset: SQLite in WEIR_HOME). */
export interface TestStoreLocation {
  kind: StoreKind;
  /** undefined for SQLite: the default file `<home>/weir.db`. */
  databaseUrl: string | undefined;
  /** Opens another connection to the same store (not migrated again). */
  open(): Promise<Store>;
}

/** A new, empty store of `kind`: SQLite at `<home>/weir.db`, or a new Postgres database cloned from the template. */
export async function newTestStoreLocation(kind: StoreKind, home: string): Promise<TestStoreLocation> {
  if (kind === "sqlite") {
    const path = join(home, "weir.db");
    return { kind, databaseUrl: undefined, open: async () => openSqliteStore({ path }) };
  }
  const url = await freshPostgresUrl();
  return { kind, databaseUrl: url, open: () => openPostgresStore({ url, poolSize: 4 }) };
}

/** A new, empty, migrated store of `kind`. */
export async function openTestStore(kind: StoreKind, home: string): Promise<Store> {
  const store = await (await newTestStoreLocation(kind, home)).open();
  await store.migrate();
  return store;
}
