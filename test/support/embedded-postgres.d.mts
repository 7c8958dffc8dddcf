// Types of embedded-postgres.mjs (plain JavaScript so that bench/run.mjs can import it without a build).
import type pg from "pg";

export interface EmbeddedPostgresServer {
  /** The superuser's URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

export function startEmbeddedPostgres(options: { dirPrefix: string; postgresFlags?: string[]; forWhat?: string }): Promise<EmbeddedPostgresServer>;

export function adminQuery(adminUrl: string, sql: string): Promise<pg.QueryResult>;

export function freePort(): Promise<number>;
