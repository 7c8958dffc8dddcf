// Turns a pipeline's params JSON Schema (zod 4's toJSONSchema, io "input") into form fields, and the form's
// text back into typed params with the schema's own validation messages. Types a form cannot edit as a
// control (objects, arrays of objects, unions) are edited as JSON.
export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "list" | "json";

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  nullable: boolean;
  description: string | null;
  options: (string | number)[];
  defaultValue: unknown;
  hasDefault: boolean;
  schema: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
}

function asSchema(value: unknown): JsonSchema {
  return typeof value === "object" && value !== null ? (value as JsonSchema) : {};
}

/** The non-null branch of `T | null` (zod's `.nullable()`), and whether null was allowed. */
function unwrapNullable(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const branches = schema.anyOf ?? schema.oneOf;
  if (!branches) return { schema, nullable: false };
  const nonNull = branches.filter((b) => b.type !== "null");
  if (nonNull.length === 1 && nonNull[0]) return { schema: { ...nonNull[0], default: schema.default ?? nonNull[0].default, description: schema.description ?? nonNull[0].description }, nullable: nonNull.length < branches.length };
  // Several literal branches are an enum written as a union.
  if (nonNull.every((b) => b.const !== undefined)) return { schema: { ...schema, enum: nonNull.map((b) => b.const) }, nullable: nonNull.length < branches.length };
  return { schema, nullable: nonNull.length < branches.length };
}

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.enum && schema.enum.every((v) => typeof v === "string" || typeof v === "number")) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "string" || type === "number" || type === "integer" || type === "boolean") return type;
  if (type === "array") {
    const item = asSchema(schema.items).type;
    if (item === "string" || item === "number" || item === "integer") return "list";
  }
  return "json";
}

export function fieldsOf(root: Record<string, unknown> | null): Field[] {
  if (!root) return [];
  const schema = asSchema(root);
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    const { schema: field, nullable } = unwrapNullable(asSchema(raw));
    return {
      name,
      kind: kindOf(field),
      required: required.has(name),
      nullable,
      description: field.description ?? field.title ?? null,
      options: (field.enum ?? []).filter((v): v is string | number => typeof v === "string" || typeof v === "number"),
      defaultValue: field.default,
      hasDefault: "default" in field,
      schema: field,
    };
  });
}

/** The text a field starts with: its default, written as the control shows it. */
export function initialText(field: Field): string {
  if (!field.hasDefault || field.defaultValue === null || field.defaultValue === undefined) return "";
  if (field.kind === "list" && Array.isArray(field.defaultValue)) return field.defaultValue.join(", ");
  if (field.kind === "json") return JSON.stringify(field.defaultValue, null, 2);
  return String(field.defaultValue);
}

export type Parsed = { ok: true; value: unknown; omit: boolean } | { ok: false; message: string };

function checkNumber(n: number, s: JsonSchema, integer: boolean): string | null {
  if (!Number.isFinite(n)) return "must be a number";
  if (integer && !Number.isInteger(n)) return "must be a whole number";
  if (s.minimum !== undefined && n < s.minimum) return `must be at least ${s.minimum}`;
  if (s.maximum !== undefined && n > s.maximum && s.maximum < Number.MAX_SAFE_INTEGER) return `must be at most ${s.maximum}`;
  if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) return `must be greater than ${s.exclusiveMinimum}`;
  if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum) return `must be less than ${s.exclusiveMaximum}`;
  if (s.multipleOf !== undefined && Math.abs(n / s.multipleOf - Math.round(n / s.multipleOf)) > 1e-9) return `must be a multiple of ${s.multipleOf}`;
  return null;
}

function checkString(text: string, s: JsonSchema): string | null {
  if (s.minLength !== undefined && text.length < s.minLength) return `must be at least ${s.minLength} character${s.minLength === 1 ? "" : "s"}`;
  if (s.maxLength !== undefined && text.length > s.maxLength) return `must be at most ${s.maxLength} characters`;
  if (s.format === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(text)) return "must be a date (YYYY-MM-DD)";
  if (s.format === "email" && !/^[^@\s]+@[^@\s]+$/.test(text)) return "must be an e-mail address";
  if (s.pattern) {
    try {
      if (!new RegExp(s.pattern, "u").test(text)) return s.format ? `must be a valid ${s.format}` : `must match ${s.pattern}`;
    } catch {
      return null;
    }
  }
  return null;
}

/** Parses one field's text: an empty optional field is left out, so the pipeline's default applies. */
export function parseField(field: Field, text: string): Parsed {
  const trimmed = text.trim();
  if (field.kind !== "boolean" && trimmed === "") {
    if (field.required && !field.nullable) return { ok: false, message: "is required" };
    if (field.required && field.nullable) return { ok: true, value: null, omit: false };
    return { ok: true, value: undefined, omit: true };
  }
  const s = field.schema;
  switch (field.kind) {
    case "boolean":
      return { ok: true, value: text === "true", omit: false };
    case "number":
    case "integer": {
      const n = Number(trimmed);
      const problem = checkNumber(n, s, field.kind === "integer");
      return problem ? { ok: false, message: problem } : { ok: true, value: n, omit: false };
    }
    case "enum": {
      const option = field.options.find((o) => String(o) === text);
      return option === undefined ? { ok: false, message: `must be one of ${field.options.join(", ")}` } : { ok: true, value: option, omit: false };
    }
    case "string": {
      const problem = checkString(text, s);
      return problem ? { ok: false, message: problem } : { ok: true, value: text, omit: false };
    }
    case "list": {
      const itemSchema = asSchema(s.items);
      const parts = trimmed.split(",").map((p) => p.trim()).filter(Boolean);
      const numeric = itemSchema.type === "number" || itemSchema.type === "integer";
      const values: (string | number)[] = [];
      for (const part of parts) {
        const problem = numeric ? checkNumber(Number(part), itemSchema, itemSchema.type === "integer") : checkString(part, itemSchema);
        if (problem) return { ok: false, message: `item "${part}" ${problem}` };
        values.push(numeric ? Number(part) : part);
      }
      if (s.minItems !== undefined && values.length < s.minItems) return { ok: false, message: `needs at least ${s.minItems} item${s.minItems === 1 ? "" : "s"}` };
      if (s.maxItems !== undefined && values.length > s.maxItems) return { ok: false, message: `takes at most ${s.maxItems} items` };
      return { ok: true, value: values, omit: false };
    }
    case "json":
      try {
        return { ok: true, value: JSON.parse(trimmed) as unknown, omit: false };
      } catch {
        return { ok: false, message: "must be valid JSON" };
      }
  }
}
