import { describe, expect, it } from "vitest";
import { inlineParams, numberPlaceholders } from "./statement-text.js";

describe("numberPlaceholders", () => {
  it("numbers ? in order, leaving quoted text and comments alone", () => {
    expect(numberPlaceholders("SELECT a FROM t WHERE a = ? AND b IN (?, ?)")).toBe("SELECT a FROM t WHERE a = $1 AND b IN ($2, $3)");
    expect(numberPlaceholders(`SELECT '?', "we?ird", 'it''s ?' FROM t WHERE x = ? -- why?\nAND y = ? /* ? */`)).toBe(
      `SELECT '?', "we?ird", 'it''s ?' FROM t WHERE x = $1 -- why?\nAND y = $2 /* ? */`,
    );
  });
});

describe("inlineParams", () => {
  it("writes strings, numbers and null as literals that can't break out of their place", () => {
    expect(inlineParams("UPDATE t SET a = ?, b = ?, c = ? WHERE d = ? AND e = ?", ["it's", 12, null, -1, "back\\slash"])).toBe(
      "UPDATE t SET a = 'it''s', b = 12, c = NULL WHERE d = (-1) AND e =  E'back\\\\slash'",
    );
    // A negative number after a minus never becomes a comment.
    expect(inlineParams("SELECT 1 - ?", [-1])).toBe("SELECT 1 - (-1)");
  });

  it("refuses a parameter count that doesn't match, and numbers SQL can't hold", () => {
    expect(() => inlineParams("SELECT ?, ?", [1])).toThrow(/more placeholders/);
    expect(() => inlineParams("SELECT ?", [1, 2])).toThrow(/1 placeholders for 2/);
    expect(() => inlineParams("SELECT ?", [Number.NaN])).toThrow(/NaN/);
  });
});
