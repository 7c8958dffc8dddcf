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

  it("leaves strings to types it can't see (coerce, any) and stores the input, not the schema's output", () => {
    // No default filled in, no Date made: what is stored is what was given; each try parses it once.
    expect(parseParams(schema, { raw: { day: "2025-09-01" } })).toEqual({ ok: true, params: { day: "2025-09-01" } });
    const times10 = z.object({ n: z.number().transform((n) => n * 10) });
    expect(parseParams(times10, { raw: { n: "2" } })).toEqual({ ok: true, params: { n: 2 } });
    expect(parseParams(times10, { values: { n: 3 } })).toEqual({ ok: true, params: { n: 3 } });
  });

  it("refuses values that don't survive being stored as JSON", () => {
    const loose = z.object({ x: z.any() });
    expect(parseParams(loose, { values: { x: 1n } })).toMatchObject({ ok: false, problems: [{ param: "" }] });
    expect(parseParams(z.object({ d: z.date() }), { values: { d: new Date(0) } })).toMatchObject({ ok: false, problems: [{ param: "" }] });
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
  it("applies transforms and defaults to the stored input, and falls back to it when the schema rejects it", () => {
    const upper = z.object({ name: z.string().transform((s) => s.toUpperCase()) });
    expect(paramsForTry(upper, { name: "a" })).toEqual({ name: "A" });
    expect(paramsForTry(upper, { name: 1 })).toEqual({ name: 1 });
    expect(paramsForTry(undefined, { x: 1 })).toEqual({ x: 1 });
  });

  it("applies a transform once and makes a Date of z.coerce.date(), from what parseParams stored", () => {
    const typed = z.object({ n: z.number().transform((n) => n * 10), day: z.coerce.date(), level: z.string().default("low") });
    const stored = parseParams(typed, { raw: { n: "2", day: "2025-09-01" } });
    expect(stored).toEqual({ ok: true, params: { n: 2, day: "2025-09-01" } });
    if (!stored.ok) return;
    const params = paramsForTry(typed, JSON.parse(JSON.stringify(stored.params)) as Record<string, unknown>);
    expect(params).toEqual({ n: 20, day: new Date(Date.UTC(2025, 8, 1)), level: "low" });
  });
});
