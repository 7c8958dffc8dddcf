// The trigger form's reading of params schemas (ui/src/components/schema-form.ts), on the JSON Schemas
// zod 4 really produces: which control each param gets, its starting text, and the messages for bad
// values. Pure code, so it runs in Node beside the browser tests that drive the same form in Chromium.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldsOf, initialText, parseField, type Field } from "../../ui/src/components/schema-form.js";

const schemaOf = (s: z.ZodType): Record<string, unknown> => z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;

const fields = fieldsOf(
  schemaOf(
    z.object({
      threshold: z.number().min(0).max(1).default(0.6),
      epochs: z.number().int().positive().default(200),
      mode: z.enum(["fast", "thorough"]).default("fast"),
      size: z.union([z.literal("s"), z.literal("m")]).optional(),
      name: z.string().min(2).nullable(),
      day: z.iso.date().optional(),
      dryRun: z.boolean().default(false),
      tags: z.array(z.string()).default([]),
      limits: z.object({ rows: z.number() }).optional(),
    }),
  ),
);
const field = (name: string): Field => {
  const found = fields.find((f) => f.name === name);
  if (!found) throw new Error(`no field ${name}`);
  return found;
};

describe("the trigger form's fields from a params schema", () => {
  it("gives each param the control for its type, starting at its default", () => {
    expect(fields.map((f) => [f.name, f.kind, initialText(f)])).toEqual([
      ["threshold", "number", "0.6"],
      ["epochs", "integer", "200"],
      ["mode", "enum", "fast"],
      ["size", "enum", ""],
      ["name", "string", ""],
      ["day", "string", ""],
      ["dryRun", "boolean", "false"],
      ["tags", "list", ""],
      ["limits", "json", ""],
    ]);
    expect(field("mode").options).toEqual(["fast", "thorough"]);
    expect(field("size").options).toEqual(["s", "m"]);
    expect(field("name")).toMatchObject({ required: true, nullable: true });
    expect(fieldsOf(null)).toEqual([]);
  });

  it.each([
    ["threshold", "1.5", "must be at most 1"],
    ["threshold", "-1", "must be at least 0"],
    ["threshold", "abc", "must be a number"],
    ["epochs", "2.5", "must be a whole number"],
    ["epochs", "0", "must be greater than 0"],
    ["mode", "slow", "must be one of fast, thorough"],
    ["name", "a", "must be at least 2 characters"],
    ["day", "2025-13-01", "must be a valid date"],
    ["limits", "{rows:", "must be valid JSON"],
  ])("rejects %s = %j: %s", (name, text, message) => {
    expect(parseField(field(name), text)).toEqual({ ok: false, message });
  });

  it.each([
    ["threshold", "0.9", 0.9],
    ["epochs", "10", 10],
    ["mode", "thorough", "thorough"],
    ["name", "", null],
    ["day", "2025-09-01", "2025-09-01"],
    ["dryRun", "true", true],
    ["tags", "a, b,,c", ["a", "b", "c"]],
    ["limits", '{"rows": 3}', { rows: 3 }],
  ])("accepts %s = %j as %j", (name, text, value) => {
    expect(parseField(field(name), text)).toEqual({ ok: true, value, omit: false });
  });

  it("leaves an empty optional param out, so the pipeline's default applies", () => {
    expect(parseField(field("threshold"), "  ")).toEqual({ ok: true, value: undefined, omit: true });
    expect(parseField(field("size"), "")).toEqual({ ok: true, value: undefined, omit: true });
  });
});
