// A forward-only schema step. Its SQL is the dialect-neutral subset both databases run unchanged.
export interface Migration {
  /** Position in the chain: 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  sql: string;
}
