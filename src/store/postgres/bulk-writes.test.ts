import { describe, expect, it } from "vitest";
import type { SqlStatement } from "../dialect.js";
import { START_RUN } from "../sql/runs.js";
import { START_INSTANCE, TRANSITION_INSTANCE } from "../sql/instances.js";
import { END_TRY, INSERT_RUNNING_TRY } from "../sql/tries.js";
import { arrayLiteral, mergeWrites, unitCounts } from "./bulk-writes.js";

const start = (task: string): SqlStatement => ({ sql: START_INSTANCE, params: ["running", 1, null, null, 5, "r1", task, 0, "scheduled", 0] });
const insertTry = (task: string): SqlStatement => ({ sql: INSERT_RUNNING_TRY, params: ["r1", task, 0, 1, 5, 5, "w1"] });
const succeed = (task: string): SqlStatement => ({ sql: TRANSITION_INSTANCE, params: ["success", 1, null, 9, "r1", task, 0, "running", 1] });
const endTry = (task: string): SqlStatement => ({ sql: END_TRY, params: ["success", 9, "1", null, null, "r1", task, 0, 1] });
const runStart: SqlStatement = { sql: START_RUN, params: [1, "r1", "queued"] };

/** Each unit as the batch indices it stands for, merged ones marked with "m". */
const shape = (statements: SqlStatement[], expectOne = statements.length) =>
  mergeWrites(statements, expectOne, 2).map((u) => (u.merged ? `m${u.indices.join(",")}` : String(u.indices[0])));

describe("mergeWrites", () => {
  it("merges each hot kind of a stretch into one statement, where its first write was", () => {
    expect(shape([start("a"), insertTry("a"), start("b"), insertTry("b"), start("c"), insertTry("c")])).toEqual(["m0,2,4", "m1,3,5"]);
    const [unit] = mergeWrites([start("a"), start("b")], 2, 2);
    // Only the task differs. The new state, try and times are one scalar each, bound first; the key and the
    // guards the rows are matched by stay arrays (one value filled n times), never constants of the statement.
    expect(unit?.statement.sql).toMatch(
      /\sFROM \(SELECT \?::text AS state, \?::int AS try_number, \?::bigint AS retry_at_ms, \?::bigint AS ended_ms, \?::bigint AS started_ms, u\.run_id, u\.task_id, u\.map_index, u\.from_state, u\.from_try FROM unnest\(array_fill\(\?::text, ARRAY\[\?::int\]\), \?::text\[\], array_fill\(\?::int, ARRAY\[\?::int\]\), array_fill\(\?::text, ARRAY\[\?::int\]\), array_fill\(\?::int, ARRAY\[\?::int\]\)\) AS u\(run_id, task_id, map_index, from_state, from_try\)\) AS v\s/,
    );
    expect(unit?.statement.params).toEqual(["running", 1, null, null, 5, "r1", 2, '{"a","b"}', 0, 2, "scheduled", 2, 0, 2]);
    const [ended] = mergeWrites([endTry("a"), { sql: END_TRY, params: ["failed", 10, null, '{"e":1}', null, "r1", "b", 0, 1] }], 2, 2);
    expect(ended?.statement.params).toEqual([null, '{"success","failed"}', "{9,10}", '{"1",NULL}', '{NULL,"{\\"e\\":1}"}', "r1", 2, '{"a","b"}', 0, 2, 1, 2]);
    // An insert matches no rows: what its rows share is sent as scalars.
    const [inserted] = mergeWrites([insertTry("a"), insertTry("b")], 2, 2);
    expect(inserted?.statement.params).toEqual(["r1", 0, 1, 5, 5, "w1", '{"a","b"}']);
  });

  it("merges an instance's plain transitions with other instances' starts, with no start time for them", () => {
    const [unit, ...rest] = mergeWrites([succeed("a"), start("b")], 2, 2);
    expect(rest).toEqual([]);
    expect(unit?.statement.sql).toMatch(/started_ms = COALESCE\(t\.started_ms, v\.started_ms\)/);
    expect(unit?.statement.params).toEqual([1, null, '{"success","running"}', "{9,NULL}", "{NULL,5}", "r1", 2, '{"a","b"}', 0, 2, '{"running","scheduled"}', "{1,0}"]);
  });

  it("keeps other statements in place, and ends a stretch at them and at a row written a second time", () => {
    expect(shape([start("a"), start("b"), runStart, start("c"), start("d")])).toEqual(["m0,1", "2", "m3,4"]);
    // a is started and then ended: the end must come after the start, so a new stretch begins with it.
    expect(shape([start("a"), insertTry("a"), start("b"), succeed("a"), endTry("a"), succeed("b")])).toEqual(["m0,2", "1", "m3,5", "4"]);
    expect(shape([start("a"), insertTry("a"), start("b"), insertTry("b"), succeed("a"), endTry("a"), succeed("b"), endTry("b")])).toEqual([
      "m0,2",
      "m1,3",
      "m4,6",
      "m5,7",
    ]);
  });

  it("leaves fewer writes of a kind than the minimum as single statements, by default fewer than 8", () => {
    const few = [start("a"), start("b"), start("c")];
    expect(mergeWrites(few, 3).map((u) => [u.merged, u.indices])).toEqual([[false, [0]], [false, [1]], [false, [2]]]);
    const many = "abcdefgh".split("").map(start);
    expect(mergeWrites(many, 8).map((u) => [u.merged, u.indices.length])).toEqual([[true, 8]]);
  });

  it("merges only the writes the caller expects one row from", () => {
    expect(shape([start("a"), start("b"), start("c")], 2)).toEqual(["m0,1", "2"]);
    expect(shape([start("a"), start("b")], 0)).toEqual(["0", "1"]);
  });

  it("reports one row each only when the merged statement changed one row per write", () => {
    const [unit] = mergeWrites([start("a"), start("b"), start("c")], 3, 2);
    expect(unitCounts(unit!, 3)).toEqual([1, 1, 1]);
    expect(unitCounts(unit!, 2)).toEqual([-1, -1, -1]);
    expect(unitCounts(mergeWrites([runStart], 1, 2)[0]!, 0)).toEqual([0]);
  });
});

describe("arrayLiteral", () => {
  it("quotes strings so that quotes, backslashes, commas, braces and the word NULL survive", () => {
    expect(arrayLiteral(['say "hi"', "back\\slash", "a,b", "{x}", "NULL", null, 3, -1])).toBe('{"say \\"hi\\"","back\\\\slash","a,b","{x}","NULL",NULL,3,-1}');
    expect(() => arrayLiteral([Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
  });
});
