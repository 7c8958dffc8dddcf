// The store writes SQL once with `?` placeholders (dialect.ts). Postgres numbers its parameters ($1, $2, …);
// the rewrite skips quoted text and comments. A statement of a batch that is seen again is prepared on each
// connection under a name of its own (parsed and planned once per connection). A small batch of prepared
// statements goes as one multi-statement text, `EXECUTE name(literal, …)` each: the parameters are then
// written into the text as literals.
import pg from "pg";
import type { SqlParam } from "../dialect.js";

const numberedBySql = new Map<string, string>();

/** `a = ? AND b = ?` → `a = $1 AND b = $2`, cached by text (the store's statements are a fixed set). */
export function numberPlaceholders(sql: string): string {
  let numbered = numberedBySql.get(sql);
  if (numbered === undefined) {
    let n = 0;
    numbered = replacePlaceholders(sql, () => `$${++n}`);
    numberedBySql.set(sql, numbered);
  }
  return numbered;
}

const expectingBySql = new Map<string, string>();

/**
 * The write as a statement that fails (SQLSTATE WE001, migration 0012's weir_expect_rows) unless it changed
 * as many rows as its one extra, last parameter says.
 */
export function expectingRows(sql: string): string {
  let checked = expectingBySql.get(sql);
  if (checked === undefined) {
    // RETURNING on a line of its own: the write may end in a -- comment.
    // No row comes back (HAVING is false when the check passes): only the command's tag.
    checked = `WITH w AS (${sql.trim()}\nRETURNING 1) SELECT FROM w HAVING weir_expect_rows(count(*), ?) < 0`;
    expectingBySql.set(sql, checked);
  }
  return checked;
}

/** Most parameters a statement may have to be prepared: larger ones are one-off multi-row inserts. */
const MAX_PREPARED_PARAMS = 64;
const preparedNames = new Map<string, string>();

/** The name a statement is prepared under on every connection, or null when it is sent unnamed (parsed each time). */
export function preparedNameOf(sql: string, paramCount: number): string | null {
  if (paramCount > MAX_PREPARED_PARAMS) return null;
  let name = preparedNames.get(sql);
  if (name === undefined) preparedNames.set(sql, (name = `weir_${preparedNames.size + 1}`));
  return name;
}

/** `EXECUTE name(literal, …)` of a statement prepared with `PREPARE name AS <numbered text>`. */
export function executeText(name: string, params: readonly SqlParam[]): string {
  return params.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${params.map(toLiteral).join(", ")})`;
}

function toLiteral(value: SqlParam): string {
  if (value === null) return "NULL";
  if (typeof value === "number") {
    // Quoted, as a bound parameter is sent: the parameter's type reads the text (int rejects "1.5" as it does
    // bound), where a numeric literal would be cast and silently rounded.
    return `'${numberText(value)}'`;
  }
  // pg's escaping: doubles quotes, and uses the E'' form with doubled backslashes when there are backslashes.
  return pg.escapeLiteral(value);
}

/**
 * A number as the text sent to Postgres, whichever way it goes (bound, a literal, an array element): NaN and
 * ±Infinity are refused the same way on each, before anything of the batch is written.
 */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot bind ${String(value)} as a SQL number`);
  return String(value);
}

/** Calls `next` for each `?` outside quotes ('…', "…") and comments (-- …, /* … *\/). */
function replacePlaceholders(sql: string, next: () => string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "?") {
      out += next();
      i++;
    } else if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}
