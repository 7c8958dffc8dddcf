// A batch of statements as ONE query of pg's (extended protocol): Parse (when the statement isn't prepared on
// the connection yet) / Bind / Execute for each, then a single Sync. The server answers with one
// ReadyForQuery for the whole batch, so the batch costs one message each way and one pg query object, like a
// multi-statement text, while its parameters stay bound (never written into the text or escaped). After an
// error the server skips the rest up to the Sync: the batch fails with the first error.
// A small batch of prepared statements goes instead as one text of EXECUTEs (runExecuteText), which costs less.
import pg from "pg";
import type { SqlParam } from "../dialect.js";
import { executeText, numberText } from "./statement-text.js";

/** One statement of a batch: `name` null runs it unnamed (parsed for this batch only). */
export interface BatchPart {
  name: string | null;
  /** Parse it first: unnamed, or a name not yet prepared on this connection. */
  parse: boolean;
  /** With $n placeholders. */
  text: string;
  values: readonly SqlParam[];
}

/** The protocol writer under a pg client (`client.connection`), as far as a batch uses it. */
interface Wire {
  parse(query: { name: string; text: string; types: [] }): void;
  bind(config: { portal: string; statement: string; values: (string | null)[] }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  stream: { cork?(): void; uncork?(): void };
}

/** Changed rows from a command tag: `UPDATE 3`, `INSERT 0 5`, `SELECT 1`; 0 for `BEGIN` and the like. */
function rowsOf(tag: string): number {
  const match = /(\d+)\s*$/.exec(tag);
  return match === null ? 0 : Number(match[1]);
}

/**
 * Runs `parts` on `client` as one query; resolves to each part's changed rows (its command tag's count), in
 * order. Rows a part returns are not read. Fits pg's pipeline mode: it is a pg Query (pg refuses other
 * custom queries there), so queries issued after it go out at once and are answered after it.
 */
export function runBatch(client: pg.PoolClient, parts: readonly BatchPart[]): Promise<number[]> {
  // Converted before anything is written: a value that can't be bound fails the batch, not the protocol.
  const bound = parts.map((part) => part.values.map((v) => (v === null ? null : typeof v === "number" ? numberText(v) : v)));
  return new Promise<number[]>((resolve, reject) => {
    const counts: number[] = [];
    let failed = false;
    const query = new pg.Query({ text: "" });
    const hooks = query as unknown as Record<string, unknown>;
    hooks.submit = (wire: Wire): null => {
      wire.stream.cork?.();
      try {
        parts.forEach((part, i) => {
          if (part.parse) wire.parse({ name: part.name ?? "", text: part.text, types: [] });
          wire.bind({ portal: "", statement: part.name ?? "", values: bound[i]! });
          wire.execute({ portal: "", rows: 0 });
        });
        wire.sync();
      } finally {
        wire.stream.uncork?.();
      }
      return null;
    };
    hooks.handleRowDescription = () => undefined;
    hooks.handleDataRow = () => undefined;
    hooks.handleCommandComplete = (message: { text: string }) => void counts.push(rowsOf(message.text));
    hooks.handleEmptyQuery = () => void counts.push(0);
    // pg clears its active query before handing it the error: its ReadyForQuery never reaches this query.
    hooks.handleError = (error: Error) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    hooks.handleReadyForQuery = () => {
      if (!failed) resolve(counts);
    };
    void client.query(query);
  });
}

/**
 * Whether a part can go as `EXECUTE name(literals)` text: prepared, and no string with a NUL (a query text
 * ends at the first NUL; a bound parameter gets Postgres' own error for it, as in a single statement).
 */
export function fitsExecuteText(part: BatchPart): boolean {
  if (part.name === null) return part.values.length === 0;
  return part.values.every((v) => typeof v !== "string" || !v.includes("\u0000"));
}

/**
 * The parts, each prepared (or without parameters), as one multi-statement text of the simple protocol:
 * `PREPARE` where needed, then `EXECUTE name(literals)`. Like runBatch, it has written the batch when it
 * returns, and throws having sent nothing when a value can't be written.
 */
export function runExecuteText(client: pg.PoolClient, parts: readonly BatchPart[]): Promise<number[]> {
  const statements: string[] = [];
  const runs: number[] = [];
  for (const part of parts) {
    if (part.name === null) {
      runs.push(statements.push(part.text) - 1);
      continue;
    }
    if (part.parse) statements.push(`PREPARE ${part.name} AS ${part.text}`);
    runs.push(statements.push(executeText(part.name, part.values)) - 1);
  }
  // A newline before each ";": a statement ending in a -- comment must not swallow it.
  return client.query(statements.join("\n;\n")).then((results: pg.QueryResult | pg.QueryResult[]) => {
    const list = Array.isArray(results) ? results : [results];
    return runs.map((at) => list[at]?.rowCount ?? 0);
  });
}
