// The hot single-row writes of a batch, sent as one set-based statement per kind (`UPDATE … FROM unnest(…)`,
// `INSERT … SELECT … FROM unnest(…)`) instead of one statement per row: Postgres then starts its executor once
// per kind instead of once per row. Only writes whose caller expects exactly one changed row each (the held
// writes of batched-writes.ts) are merged, and only within a stretch of the batch in which no row is written
// twice: every write there touches its own row, so their order among themselves doesn't matter. Any other
// statement ends the stretch and keeps its place. A merged statement that changes as many rows as it has
// tuples changed one row per tuple (each tuple names one row by its primary key); every other total is reported
// as "unknown" (-1) for each of its writes, which fails the speculation and redoes the work row by row.
import type { SqlParam, SqlStatement } from "../dialect.js";
import { START_INSTANCE, TRANSITION_INSTANCE } from "../sql/instances.js";
import { END_TRY, INSERT_RUNNING_TRY } from "../sql/tries.js";

interface BulkForm {
  /** The set-based statement: parameter i is the array of the single-row statement's parameter i. */
  sql: string;
  /** Postgres' type of each parameter's array elements. */
  types: readonly string[];
  /** The table and the parameters that hold the written row's primary key. */
  table: string;
  key: readonly number[];
}

const unnest = (types: readonly string[], names: readonly string[]): string =>
  `unnest(${types.map((t) => `?::${t}[]`).join(", ")}) AS v(${names.join(", ")})`;

const INSTANCE_WHERE = "t.run_id = v.run_id AND t.task_id = v.task_id AND t.map_index = v.map_index AND t.state = v.from_state AND t.try_number = v.from_try";
const TRANSITION_TYPES = ["text", "int", "bigint", "bigint", "text", "text", "int", "text", "int"];
const START_TYPES = ["text", "int", "bigint", "bigint", "bigint", "text", "text", "int", "text", "int"];
const INSERT_TRY_TYPES = ["text", "text", "int", "int", "bigint", "bigint", "text"];
const END_TRY_TYPES = ["text", "bigint", "text", "text", "bigint", "text", "text", "int", "int"];

/** Keyed by the exact text of the single-row statement (src/store/sql/), as the store sends it. */
const BULK_FORMS = new Map<string, BulkForm>([
  [
    TRANSITION_INSTANCE,
    {
      sql: `UPDATE task_instances AS t SET state = v.state, try_number = v.try_number, retry_at_ms = v.retry_at_ms, ended_ms = v.ended_ms
FROM ${unnest(TRANSITION_TYPES, ["state", "try_number", "retry_at_ms", "ended_ms", "run_id", "task_id", "map_index", "from_state", "from_try"])}
WHERE ${INSTANCE_WHERE}`,
      types: TRANSITION_TYPES,
      table: "task_instances",
      key: [4, 5, 6],
    },
  ],
  [
    START_INSTANCE,
    {
      sql: `UPDATE task_instances AS t SET state = v.state, try_number = v.try_number, retry_at_ms = v.retry_at_ms, ended_ms = v.ended_ms, started_ms = COALESCE(t.started_ms, v.started_ms)
FROM ${unnest(START_TYPES, ["state", "try_number", "retry_at_ms", "ended_ms", "started_ms", "run_id", "task_id", "map_index", "from_state", "from_try"])}
WHERE ${INSTANCE_WHERE}`,
      types: START_TYPES,
      table: "task_instances",
      key: [5, 6, 7],
    },
  ],
  [
    INSERT_RUNNING_TRY,
    {
      sql: `INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms, started_ms, worker)
SELECT v.run_id, v.task_id, v.map_index, v.try_number, 'running', v.queued_ms, v.started_ms, v.worker
FROM ${unnest(INSERT_TRY_TYPES, ["run_id", "task_id", "map_index", "try_number", "queued_ms", "started_ms", "worker"])}`,
      types: INSERT_TRY_TYPES,
      table: "tries",
      key: [0, 1, 2, 3],
    },
  ],
  [
    END_TRY,
    {
      sql: `UPDATE tries AS t SET state = v.state, ended_ms = v.ended_ms, output = v.output, error_json = v.error_json, started_ms = COALESCE(v.started_ms, t.started_ms)
FROM ${unnest(END_TRY_TYPES, ["state", "ended_ms", "output", "error_json", "started_ms", "run_id", "task_id", "map_index", "try_number"])}
WHERE t.run_id = v.run_id AND t.task_id = v.task_id AND t.map_index = v.map_index AND t.try_number = v.try_number AND t.state IN ('queued', 'running')`,
      types: END_TRY_TYPES,
      table: "tries",
      key: [5, 6, 7, 8],
    },
  ],
]);

/** Rows one merged statement carries at most (bounds the size of its text). */
const MAX_BULK_ROWS = 5000;

/** What to send: statements as they are, or merged ones standing for the `indices` of the batch. */
export type SendUnit = { statement: SqlStatement; indices: readonly number[]; merged: boolean };

/**
 * The batch as units to send in order. Statements before `expectOne` (each expected to change one row) whose
 * kind has a bulk form are merged per kind within each stretch in which no row repeats; two or more of a kind
 * become one merged statement placed where the first of them was.
 */
export function mergeWrites(statements: readonly SqlStatement[], expectOne: number): SendUnit[] {
  const units: SendUnit[] = [];
  let stretch: { form: BulkForm; sql: string; index: number }[] = [];
  let rows = new Set<string>();
  const endStretch = (): void => {
    const byKind = new Map<string, number[]>();
    for (const s of stretch) {
      const list = byKind.get(s.sql);
      if (list === undefined) byKind.set(s.sql, [s.index]);
      else list.push(s.index);
    }
    for (const [sql, indices] of byKind) {
      if (indices.length === 1) units.push({ statement: statements[indices[0]!]!, indices, merged: false });
      else units.push({ statement: merged(BULK_FORMS.get(sql)!, indices.map((i) => statements[i]!.params)), indices, merged: true });
    }
    stretch = [];
    rows = new Set();
  };
  for (let index = 0; index < statements.length; index++) {
    const s = statements[index]!;
    const form = index < expectOne ? BULK_FORMS.get(s.sql) : undefined;
    if (form === undefined || s.params.length !== form.types.length) {
      endStretch();
      units.push({ statement: s, indices: [index], merged: false });
      continue;
    }
    const row = `${form.table}\u0000${form.key.map((k) => String(s.params[k])).join("\u0000")}`;
    if (rows.has(row) || stretch.length >= MAX_BULK_ROWS) endStretch();
    rows.add(row);
    stretch.push({ form, sql: s.sql, index });
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
  return { sql: form.sql, params: form.types.map((_, p) => arrayLiteral(rows.map((r) => r[p] ?? null))) };
}

/** A Postgres array literal (`{"a",NULL,3}`), passed as one text parameter and cast by the statement. */
export function arrayLiteral(values: readonly SqlParam[]): string {
  const element = (v: SqlParam): string => {
    if (v === null) return "NULL";
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new Error(`cannot bind ${String(v)} as a SQL number`);
      return String(v);
    }
    return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  };
  return `{${values.map(element).join(",")}}`;
}
