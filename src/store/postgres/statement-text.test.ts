import { describe, expect, it } from "vitest";
import { numberPlaceholders, preparedNameOf } from "./statement-text.js";

describe("numberPlaceholders", () => {
  it("numbers ? in order, leaving quoted text and comments alone", () => {
    expect(numberPlaceholders("SELECT a FROM t WHERE a = ? AND b IN (?, ?)")).toBe("SELECT a FROM t WHERE a = $1 AND b IN ($2, $3)");
    expect(numberPlaceholders(`SELECT '?', "we?ird", 'it''s ?' FROM t WHERE x = ? -- why?\nAND y = ? /* ? */`)).toBe(
      `SELECT '?', "we?ird", 'it''s ?' FROM t WHERE x = $1 -- why?\nAND y = $2 /* ? */`,
    );
  });
});

describe("preparedNameOf", () => {
  it("names a statement the same every time, and prepares none with very many parameters", () => {
    const name = preparedNameOf("SELECT ? AS a", 1);
    expect(name).toMatch(/^weir_\d+$/);
    expect(preparedNameOf("SELECT ? AS a", 1)).toBe(name);
    expect(preparedNameOf("SELECT ? AS b", 1)).not.toBe(name);
    expect(preparedNameOf("INSERT INTO t VALUES (?)", 65)).toBeNull();
  });
});
