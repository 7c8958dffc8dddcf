import { z } from "zod";
import { describe, expect, it } from "vitest";
import { paramsForTry, parseParams } from "./params.js";

const schema = z.object({
  n: z.number().default(1),
  i: z.int().optional(),
  flag: z.boolean().optional(),
  s: z.string().optional(),
  list: z.array(z.number()).optional(),
  either: z.union([z.number(), z.boolean()]).optional(),
  level: z.enum(["low", "high"]).optional(),
  day: z.coerce.date().optional(),
});

describe("parseParams", () => {
  it("coerces raw strings by each key's type", () => {
    expect(parseParams(schema, { raw: { n: " 2.5 ", i: "7", flag: "NO", s: "42", list: "[1,2]", either: "true", level: "high" } })).toEqual({
      ok: true,
      params: { n: 2.5, i: 7, flag: false, s: "42", list: [1, 2], either: true, level: "high" },
    });
  });

  it("leaves strings to types it can't see (coerce, any) and stores JSON", () => {
    expect(parseParams(schema, { raw: { day: "2025-09-01" } })).toEqual({ ok: true, params: { n: 1, day: "2025-09-01T00:00:00.000Z" } });
  });

  it("reports bad numbers, booleans and JSON per param", () => {
    const result = parseParams(schema, { raw: { n: "", flag: "sure", list: "[1," } });
    expect(result).toEqual({
      ok: false,
      problems: [
        { param: "n", message: 'expected a number, got ""' },
        { param: "flag", message: 'expected a boolean, got "sure"' },
        { param: "list", message: 'expected a JSON array, got "[1,"' },
      ],
    });
  });

  it("reports schema issues with their path", () => {
    const result = parseParams(schema, { raw: { i: "1.5", level: "mid" } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.param)).toEqual(["i", "level"]);
  });

  it("treats every param as unknown without a schema", () => {
    expect(parseParams(undefined, { values: { a: 1 } })).toEqual({ ok: false, problems: [{ param: "a", message: "unknown param 'a' (this pipeline takes no params)" }] });
    expect(parseParams(undefined, {})).toEqual({ ok: true, params: {} });
  });
});

describe("paramsForTry", () => {
  it("re-applies transforms, and falls back to the stored value when the schema rejects it", () => {
    const upper = z.object({ name: z.string().transform((s) => s.toUpperCase()) });
    expect(paramsForTry(upper, { name: "a" })).toEqual({ name: "A" });
    expect(paramsForTry(upper, { name: 1 })).toEqual({ name: 1 });
    expect(paramsForTry(undefined, { x: 1 })).toEqual({ x: 1 });
  });
});
