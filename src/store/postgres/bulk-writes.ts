// The hot single-row writes of a batch, sent as one set-based statement per kind (`UPDATE … FROM (… unnest(…))`,
// `INSERT … SELECT … FROM (… unnest(…))`) instead of one statement per row: Postgres then starts its executor once
// per kind instead of once per row. Only writes whose caller expects exactly one changed row each (the held
// writes of batched-writes.ts) are merged, and only within a stretch of the batch in which no row is written
// twice: every write there touches its own row, so their order among themselves doesn't matter. Any other
// statement ends the stretch and keeps its place. A merged statement that changes as many rows as it has
// tuples changed one row per tuple (each tuple names one row by its primary key); every other total is reported
// as "unknown" (-1) for each of its writes, which fails the speculation and redoes the work row by row.
import type { SqlParam, SqlStatement } from "../dialect.js";
import { START_INSTANCE, TRANSITION_INSTANCE } from "../sql/instances.js";
import { END_TRY, INSERT_RUNNING_TRY } from "../sql/tries.js";
import { numberText } from "./statement-text.js";

interface BulkForm {
  /** The set-based statement around its row source `v` (one column per parameter of the single-row statement). */
  sql: (source: string) => string;
  /** The columns of `v`: parameter i of the single-row statement is column i. */
  names: readonly string[];
  /** Postgres' type of each column. */
  types: readonly string[];
  /** The table and the parameters that hold the written row's primary key. */
  table: string;
  key: readonly number[];
  /** The parameters an UPDATE compares with the table's columns to find its row (key and guards): see rowSource. */
  matched: readonly number[];
  /** The statement's text per shape of its columns (a mask: "1" one scalar, "0" an array, "2" one value filled). */
  texts: Map<string, string>;
}

/**
 * The rows as a relation `v`: the columns that vary as arrays unnested together, the ones every row shares
 * as one scalar each (bound before the arrays: the order of their `?`s in the text). Sending run ids, states
 * and guards once instead of once per row roughly halves what a batch sends and what the server parses.
 *
 * The columns an UPDATE matches rows by (the key and the guards) are never scalars, even when every row
 * shares them (the run id, the map index, the state and try a transition expects). A scalar there becomes a
 * constant condition on the table (`t.run_id = 'r1'`, `t.state = 'pending'`, by equivalence with the join's
 * `t.run_id = v.run_id`) whose rows the planner estimates from statistics taken before the run's instances
 * existed or changed, often as 1 row. It then scans the whole run through the primary key and hashes it
 * (W5's fan-out: 100,000 rows, ~50–100 ms per statement, per commit), or loops over the whole table once per
 * written row (36 s for one statement of 1,000 rows). With no constant on the table the planner estimates it
 * at its real size, and each row of `v` is found through the primary key. A shared value there is still sent
 * once, as `array_fill(value, ARRAY[n])`: array_fill is immutable, so the planner folds it into a constant
 * array when it plans, which hides nothing from the join. (docs/postgres.md, "W5 and the planner".)
 */
function rowSource(form: BulkForm, mask: string): string {
  const scalars: string[] = [];
  const arrays: string[] = [];
  const varying: string[] = [];
  form.names.forEach((name, i) => {
    const type = form.types[i]!;
    if (mask[i] === "1") scalars.push(`?::${type} AS ${name}`);
    else {
      arrays.push(mask[i] === "2" ? `array_fill(?::${type}, ARRAY[?::int])` : `?::${type}[]`);
      varying.push(name);
    }
  });
  const columns = [...scalars, ...varying.map((name) => `u.${name}`)].join(", ");
  return `(SELECT ${columns} FROM unnest(${arrays.join(", ")}) AS u(${varying.join(", ")})) AS v`;
}

function bulkForm(
  names: readonly string[],
  types: readonly string[],
  table: string,
  key: readonly number[],
  matched: readonly number[],
  sql: (source: string) => string,
): BulkForm {
  return { sql, names, types, table, key, matched, texts: new Map() };
}

const INSTANCE_WHERE = "t.run_id = v.run_id AND t.task_id = v.task_id AND t.map_index = v.map_index AND t.state = v.from_state AND t.try_number = v.from_try";

/** The set-based forms, keyed by the single-row statement each one is the set form of. */
const BULK_FORMS = new Map<string, BulkForm>([
  [
    START_INSTANCE,
    bulkForm(
      ["state", "try_number", "retry_at_ms", "ended_ms", "started_ms", "run_id", "task_id", "map_index", "from_state", "from_try"],
      ["text", "int", "bigint", "bigint", "bigint", "text", "text", "int", "text", "int"],
      "task_instances",
      [5, 6, 7],
      [5, 6, 7, 8, 9],
      (source) => `UPDATE task_instances AS t SET state = v.state, try_number = v.try_number, retry_at_ms = v.retry_at_ms, ended_ms = v.ended_ms, started_ms = COALESCE(t.started_ms, v.started_ms)
FROM ${source}
WHERE ${INSTANCE_WHERE}`,
    ),
  ],
  [
    INSERT_RUNNING_TRY,
    bulkForm(
      ["run_id", "task_id", "map_index", "try_number", "queued_ms", "started_ms", "worker"],
      ["text", "text", "int", "int", "bigint", "bigint", "text"],
      "tries",
      [0, 1, 2, 3],
      [],
      (source) => `INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms, started_ms, worker)
SELECT v.run_id, v.task_id, v.map_index, v.try_number, 'running', v.queued_ms, v.started_ms, v.worker
FROM ${source}`,
    ),
  ],
  [
    END_TRY,
    bulkForm(
      ["state", "ended_ms", "output", "error_json", "started_ms", "run_id", "task_id", "map_index", "try_number"],
      ["text", "bigint", "text", "text", "bigint", "text", "text", "int", "int"],
      "tries",
      [5, 6, 7, 8],
      [5, 6, 7, 8],
      (source) => `UPDATE tries AS t SET state = v.state, ended_ms = v.ended_ms, output = v.output, error_json = v.error_json, started_ms = COALESCE(v.started_ms, t.started_ms)
FROM ${source}
WHERE t.run_id = v.run_id AND t.task_id = v.task_id AND t.map_index = v.map_index AND t.try_number = v.try_number AND t.state IN ('queued', 'running')`,
    ),
  ],
]);

/** A single-row statement that can be merged: the form it joins and its parameters as that form's columns. */
interface BulkKind {
  form: BulkForm;
  arity: number;
  columns: (params: readonly SqlParam[]) => readonly SqlParam[];
}

const asItself = (params: readonly SqlParam[]): readonly SqlParam[] => params;

/**
 * Keyed by the exact text of the single-row statement (src/store/sql/), as the store sends it. An instance's
 * plain transition joins its start's form with no start time (`COALESCE(t.started_ms, NULL)` keeps the
 * column as it was): a commit's ended and started instances are one statement, not two.
 */
const BULK_KINDS = new Map<string, BulkKind>([
  ...[...BULK_FORMS].map(([sql, form]): [string, BulkKind] => [sql, { form, arity: form.names.length, columns: asItself }]),
  [TRANSITION_INSTANCE, { form: BULK_FORMS.get(START_INSTANCE)!, arity: 9, columns: (p) => [...p.slice(0, 4), null, ...p.slice(4)] }],
]);

/**
 * Fewest writes of a kind merged into one statement. A merged statement is planned every time; a handful of
 * single-row writes run as statements prepared once per connection (a chain's commit: one task ended, the
 * next scheduled and started) cost the server less.
 */
const MIN_MERGED_ROWS = 8;

/** Rows one merged statement carries at most (bounds the size of its text). */
const MAX_BULK_ROWS = 5000;

/** What to send: statements as they are, or merged ones standing for the `indices` of the batch. */
export type SendUnit = { statement: SqlStatement; indices: readonly number[]; merged: boolean };

/**
 * The batch as units to send in order. Statements before `expectOne` (each expected to change one row) whose
 * kind has a bulk form are merged per kind within each stretch in which no row repeats; MIN_MERGED_ROWS or
 * more of a kind become one merged statement placed where the first of them was.
 */
export function mergeWrites(statements: readonly SqlStatement[], expectOne: number, minRows = MIN_MERGED_ROWS): SendUnit[] {
  const units: SendUnit[] = [];
  let stretch: { form: BulkForm; columns: readonly SqlParam[]; index: number }[] = [];
  let rows = new Set<string>();
  const endStretch = (): void => {
    const byForm = new Map<BulkForm, { indices: number[]; rows: (readonly SqlParam[])[] }>();
    for (const s of stretch) {
      const group = byForm.get(s.form);
      if (group === undefined) byForm.set(s.form, { indices: [s.index], rows: [s.columns] });
      else {
        group.indices.push(s.index);
        group.rows.push(s.columns);
      }
    }
    for (const [form, { indices, rows: columns }] of byForm) {
      if (indices.length < minRows) for (const i of indices) units.push({ statement: statements[i]!, indices: [i], merged: false });
      else units.push({ statement: merged(form, columns), indices, merged: true });
    }
    stretch = [];
    rows = new Set();
  };
  for (let index = 0; index < statements.length; index++) {
    const s = statements[index]!;
    const kind = index < expectOne ? BULK_KINDS.get(s.sql) : undefined;
    if (kind === undefined || s.params.length !== kind.arity) {
      endStretch();
      units.push({ statement: s, indices: [index], merged: false });
      continue;
    }
    const { form } = kind;
    const columns = kind.columns(s.params);
    let row = form.table;
    for (const k of form.key) row += `\u0000${String(columns[k])}`;
    if (rows.has(row) || stretch.length >= MAX_BULK_ROWS) endStretch();
    rows.add(row);
    stretch.push({ form, columns, index });
  }
  endStretch();
  return units;
}

/** The counts of the statements a unit stands for, from the count of what was sent. */
export function unitCounts(unit: SendUnit, count: number): number[] {
  if (!unit.merged) return [count];
  const each = count === unit.indices.length ? 1 : -1;
  return unit.indices.map(() => each);
}

function merged(form: BulkForm, rows: readonly (readonly SqlParam[])[]): SqlStatement {
  const first = rows[0]!;
  let mask = "";
  for (let p = 0; p < form.names.length; p++) {
    const value = first[p] ?? null;
    let same = true;
    for (let r = 1; r < rows.length && same; r++) same = (rows[r]![p] ?? null) === value;
    mask += !same ? "0" : form.matched.includes(p) ? "2" : "1";
  }
  let sql = form.texts.get(mask);
  if (sql === undefined) form.texts.set(mask, (sql = form.sql(rowSource(form, mask))));
  const params: SqlParam[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p] === "1") params.push(first[p] ?? null);
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] === "1") continue;
    if (mask[p] === "2") {
      params.push(first[p] ?? null, rows.length);
      continue;
    }
    const column = new Array<SqlParam>(rows.length);
    for (let r = 0; r < rows.length; r++) column[r] = rows[r]![p] ?? null;
    params.push(arrayLiteral(column));
  }
  return { sql, params };
}

/** A Postgres array literal (`{"a",NULL,3}`), passed as one text parameter and cast by the statement. */
export function arrayLiteral(values: readonly SqlParam[]): string {
  let text = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) text += ",";
    if (v === null) text += "NULL";
    else if (typeof v === "number") text += numberText(v);
    else text += NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPED, (c) => `\\${c}`)}"` : `"${v}"`;
  }
  return `${text}}`;
}

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;
