// Params of a run: `--param k=v` strings are coerced by the type the pipeline's schema gives each key
// (read from its JSON Schema, so any zod construct that has one works), JSON values are taken as
// they are, then the schema validates the lot. What a run stores is that validated INPUT (what the
// user gave, coerced); each try parses it through the schema once, so transforms and defaults apply
// exactly once and a z.date() is a Date in the task. Runs in the worker: the schema is user code.
import type { z } from "zod";
import { toJsonSchema } from "../graph/compile-pipeline.js";
import type { ParamProblem, ParamsResult } from "./protocol.js";

type JsonSchema = Record<string, unknown>;

export interface ParamsInput {
  raw?: Record<string, string> | undefined;
  values?: Record<string, unknown> | undefined;
}

/**
 * Validates params against `schema` (undefined: the pipeline takes no params). On success `params` is
 * the input that passed — coerced `raw` values and the given `values`, no defaults, no transforms —
 * which is what a run stores; `paramsForTry` makes the task's typed params of it.
 */
export function parseParams(schema: z.ZodType | undefined, input: ParamsInput): ParamsResult {
  const raw = input.raw ?? {};
  const values = input.values ?? {};
  const names = [...new Set([...Object.keys(values), ...Object.keys(raw)])];
  if (schema === undefined) {
    if (names.length === 0) return { ok: true, params: {} };
    return { ok: false, problems: names.map((name) => ({ param: name, message: `unknown param '${name}' (this pipeline takes no params)` })) };
  }

  let json: JsonSchema;
  try {
    json = toJsonSchema(schema) as JsonSchema;
  } catch {
    json = {};
  }
  const properties = isObject(json.properties) ? json.properties : {};
  const open = isObject(json.additionalProperties) ? json.additionalProperties : null;
  const known = Object.keys(properties);

  const problems: ParamProblem[] = [];
  const candidate: Record<string, unknown> = {};
  for (const name of names) {
    const property = Object.hasOwn(properties, name) ? properties[name] : open;
    if (!isObject(property)) {
      problems.push({ param: name, message: `unknown param '${name}' (known: ${known.length === 0 ? "none" : known.join(", ")})` });
      continue;
    }
    if (Object.hasOwn(raw, name)) {
      const coerced = coerceParam(raw[name] as string, typesOf(property, json));
      if (coerced.ok) candidate[name] = coerced.value;
      else problems.push({ param: name, message: coerced.message });
    } else {
      candidate[name] = values[name];
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({ param: issue.path.map(String).join("."), message: issue.message })),
    };
  }
  // What a run stores is JSON: the input must survive the trip unchanged (it came from JSON or from
  // coercing text, so it does unless a caller passed something JSON can't hold).
  let stored: unknown;
  try {
    stored = JSON.parse(JSON.stringify(candidate)) as unknown;
  } catch (error) {
    return { ok: false, problems: [{ param: "", message: `params can't be stored as JSON: ${(error as Error).message}` }] };
  }
  if (!isObject(stored) || !schema.safeParse(stored).success) {
    return { ok: false, problems: [{ param: "", message: "params must be JSON values (they are stored with the run, and these change on the way)" }] };
  }
  return { ok: true, params: stored };
}

/**
 * The params a task sees: the stored input parsed through the schema once (defaults and transforms
 * apply here, and only here); the stored value itself if the schema doesn't accept it (or there is none).
 */
export function paramsForTry(schema: z.ZodType | undefined, stored: Record<string, unknown>): unknown {
  if (schema === undefined) return stored;
  try {
    const parsed = schema.safeParse(stored);
    return parsed.success ? parsed.data : stored;
  } catch {
    return stored;
  }
}

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false };

function coerceParam(text: string, types: Set<string>): Coerced {
  // Unknown type (any, custom, coerce.*) or a string is accepted: pass the text and let the schema decide.
  if (types.size === 0 || types.has("string")) return { ok: true, value: text };
  const trimmed = text.trim();
  if (types.has("number") || types.has("integer")) {
    const n = Number(trimmed);
    if (trimmed !== "" && Number.isFinite(n)) return { ok: true, value: n };
  }
  if (types.has("boolean")) {
    const b = BOOLEAN_WORDS[trimmed.toLowerCase()];
    if (b !== undefined) return { ok: true, value: b };
  }
  if (types.has("null") && trimmed === "null") return { ok: true, value: null };
  if (types.has("object") || types.has("array")) {
    try {
      const value = JSON.parse(trimmed) as unknown;
      if ((types.has("array") && Array.isArray(value)) || (types.has("object") && isObject(value))) return { ok: true, value };
    } catch {
      // reported below
    }
  }
  const expected = [...types].map((t) => (t === "integer" ? "an integer" : t === "object" ? "a JSON object" : t === "array" ? "a JSON array" : t === "null" ? "null" : `a ${t}`));
  return { ok: false, message: `expected ${expected.join(" or ")}, got ${JSON.stringify(text)}` };
}

/** The JSON types a property accepts: its `type`, its `enum`/`const` values, and those of its alternatives. */
function typesOf(property: JsonSchema, root: JsonSchema, depth = 0): Set<string> {
  const types = new Set<string>();
  if (depth > 8) return types;
  const ref = property.$ref;
  if (typeof ref === "string" && ref.startsWith("#/")) {
    let target: unknown = root;
    for (const part of ref.slice(2).split("/")) target = isObject(target) ? target[part] : undefined;
    if (isObject(target)) for (const t of typesOf(target, root, depth + 1)) types.add(t);
  }
  const type = property.type;
  if (typeof type === "string") types.add(type);
  if (Array.isArray(type)) for (const t of type) if (typeof t === "string") types.add(t);
  const constants = [...(Array.isArray(property.enum) ? property.enum : []), ...("const" in property ? [property.const] : [])];
  for (const c of constants) types.add(c === null ? "null" : Array.isArray(c) ? "array" : typeof c === "number" ? "number" : typeof c);
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const alternatives = property[key];
    if (Array.isArray(alternatives)) for (const alt of alternatives) if (isObject(alt)) for (const t of typesOf(alt, root, depth + 1)) types.add(t);
  }
  return types;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
