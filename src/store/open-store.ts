// Picks the store from WEIR_DATABASE_URL (DESIGN.md §4): unset → SQLite file in WEIR_HOME; a path or
// sqlite:// URL → that SQLite file; postgres:// → Postgres.
import { isAbsolute, resolve } from "node:path";
import { WeirError } from "../common/errors.js";
import { SqlStore } from "./sql-store.js";
import { redactPassword } from "./redact-url.js";
import { openSqliteStore } from "./sqlite/open-sqlite-store.js";
import type { Store } from "./types.js";

/** File name of the embedded store inside WEIR_HOME. */
export const SQLITE_FILE_NAME = "weir.db";

export type StoreLocation = { dialect: "sqlite"; path: string } | { dialect: "postgres"; url: string };

/** Where `openStore(url, home)` would keep its data, without opening anything. */
export function resolveStoreLocation(url: string | undefined, home: string): StoreLocation {
  if (url === undefined || url.trim() === "") return { dialect: "sqlite", path: resolve(home, SQLITE_FILE_NAME) };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { dialect: "sqlite", path: resolve(url) };
  if (scheme === "sqlite") {
    // sqlite:///abs/path → /abs/path; sqlite://rel/path → rel/path from the working directory.
    const rest = decodeURIComponent(url.slice("sqlite://".length));
    if (rest === "") throw invalidUrl(url, "the SQLite URL has no file path");
    return { dialect: "sqlite", path: isAbsolute(rest) ? rest : resolve(rest) };
  }
  if (scheme === "postgres" || scheme === "postgresql") return { dialect: "postgres", url };
  throw invalidUrl(url, `unknown scheme ${scheme}:// (use a file path, sqlite:///path or postgres://…)`);
}

export interface OpenStoreOptions {
  /**
   * Whether `migrate()` applies missing migrations (default) or only checks that the schema is current
   * (`store_outdated` otherwise). Defaults to WEIR_AUTO_MIGRATE: `0` turns it off, for deployments that
   * migrate explicitly with `weir db migrate`.
   */
  autoMigrate?: boolean;
}

/** Opens the store (not yet migrated: call `migrate()`). */
export async function openStore(url: string | undefined, home: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = resolveStoreLocation(url, home);
  const autoMigrate = options.autoMigrate ?? process.env.WEIR_AUTO_MIGRATE !== "0";
  if (location.dialect === "postgres") {
    // Loaded on demand: the pg driver is startup time a SQLite user shouldn't pay.
    const { openPostgresStore } = await import("./postgres/open-postgres-store.js");
    return openPostgresStore({ url: location.url }, { autoMigrate });
  }
  return openSqliteStore({ path: location.path }, { autoMigrate });
}

/** One line for CLI messages: `SQLite database /path/.weir/weir.db`. */
export function describeStore(store: Store): string {
  return store instanceof SqlStore ? store.describe() : `${store.dialect} store`;
}

/** As describeStore, before opening: `SQLite database /path/.weir/weir.db`, `Postgres database postgres://host/db`. */
export function describeStoreLocation(location: StoreLocation): string {
  return location.dialect === "sqlite" ? `SQLite database ${location.path}` : `Postgres database ${redactPassword(location.url)}`;
}

function invalidUrl(url: string, why: string): WeirError {
  return new WeirError("store_url_invalid", `WEIR_DATABASE_URL ${redactPassword(url)} is not usable: ${why}.`);
}

