// The one migration chain (SQLite and Postgres alike). Append only: a released migration never changes.
// Room is left for later steps: backfills, pools, events, artifacts.
import { migration0001Init } from "./0001_init.js";
import type { Migration } from "./migration.js";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [migration0001Init];
