// Reading requests by hand (weir imports no validation library at run time; zod is the user's): bodies
// must be JSON objects of the documented fields, query values must parse. Shape errors are 400 naming the
// field; acceptable types with unacceptable values are 422.
import type { Context } from "hono";
import { WeirError } from "../common/errors.js";
import { badRequest, invalidValue } from "./errors.js";

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object whose keys are all in `allowed`; an empty body is `{}`. */
export async function readBody(c: Context, allowed: readonly string[]): Promise<JsonObject> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new WeirError("malformed_json", `the request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badRequest("the request body must be a JSON object");
  const body = value as JsonObject;
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw badRequest(`unknown field "${key}" (fields: ${allowed.join(", ")})`, key);
  }
  return body;
}

export function optionalString(body: JsonObject, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw badRequest(`${key} must be a string`, key);
  return value;
}

export function requiredString(body: JsonObject, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined) throw badRequest(`${key} is required`, key);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw badRequest(`${key} must be true or false`, key);
  return value;
}

export function optionalInteger(body: JsonObject, key: string, min: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw badRequest(`${key} must be a number`, key);
  if (!Number.isSafeInteger(value) || value < min) throw invalidValue(`${key} must be a whole number ≥ ${min}, got ${value}`, key);
  return value;
}

export function optionalObject(body: JsonObject, key: string): JsonObject | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw badRequest(`${key} must be a JSON object`, key);
  return value as JsonObject;
}

export function optionalStringArray(body: JsonObject, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw badRequest(`${key} must be an array of strings`, key);
  return value as string[];
}

export function oneOf<T extends string>(value: string | undefined, key: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw invalidValue(`${key} must be one of ${allowed.join(", ")}, got "${value}"`, key);
  return value as T;
}

/** A query parameter that must be a whole number in [min, max] when present. */
export function queryInteger(c: Context, key: string, { min, max }: { min: number; max: number }): number | undefined {
  const text = c.req.query(key);
  if (text === undefined || text === "") return undefined;
  if (!/^-?\d+$/.test(text)) throw badRequest(`query ${key} must be a whole number, got "${text}"`, key);
  const value = Number(text);
  if (value < min || value > max) throw invalidValue(`query ${key} must be between ${min} and ${max}, got ${value}`, key);
  return value;
}

/** A path parameter that must be a whole number ≥ min. */
export function pathInteger(text: string, key: string, min: number): number {
  if (!/^-?\d+$/.test(text)) throw badRequest(`${key} must be a whole number, got "${text}"`, key);
  const value = Number(text);
  if (value < min) throw invalidValue(`${key} must be ≥ ${min}, got ${value}`, key);
  return value;
}

/** Opaque page cursors: base64url JSON of the last item's keys. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor<T>(text: string | undefined, check: (value: unknown) => value is T): T | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (check(value)) return value;
  } catch {
    // reported below
  }
  throw badRequest("cursor is not one this server handed out", "cursor");
}
