// A forward-only schema step. Its SQL is the dialect-neutral subset both databases run unchanged; a step
// whose SQL must differ on one database carries that database's text as an override (kept rare).
export interface Migration {
  /** Position in the chain: 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  sql: string;
  /** The whole step's SQL for one database, replacing `sql` there. */
  overrides?: Partial<Record<"sqlite" | "postgres", string>>;
}
