// What the tests' Postgres globalSetup hands to test files: the server, the migrated template, the prefix of
// every database this run creates.

export interface PostgresTestServer {
  /** A URL with the right to CREATE DATABASE (its database is only used to connect). */
  adminUrl: string;
  /** The migrated, empty database each test file's database is cloned from. */
  template: string;
  prefix: string;
}

/** The same server and credentials, another database. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
