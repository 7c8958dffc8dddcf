// The pipeline-level options of a spec, checked and converted for compilePipeline: params and event
// schemas (as JSON Schema), start/end, tags, limits, durations and the schedule's plain copy.
import { parseDuration, type Duration } from "../define/duration.js";
import type { EventBatch, Schedule } from "../define/types.js";
import type { GraphProblem } from "./types.js";
import { parseZonedDateTime } from "./zoned-time.js";

export type Report = (problem: GraphProblem) => void;

export function resolveParams(schema: unknown, report: Report): Record<string, unknown> | null {
  if (schema === undefined || schema === null) return null;
  const zod = (schema as { _zod?: { def?: { type?: unknown } } })._zod;
  const isObjectSchema =
    typeof schema === "object" && typeof (schema as { safeParse?: unknown }).safeParse === "function" && zod?.def?.type === "object";
  if (!isObjectSchema) {
    report({ code: "params_invalid", message: "params must be a zod object schema (zod 4), e.g. z.object({ threshold: z.number() })" });
    return null;
  }
  try {
    // The schema's own method: the user's copy of zod, and no zod import (and its ~50 ms) in weir itself.
    return toJsonSchema(schema);
  } catch (error) {
    report({ code: "params_invalid", message: `params schema cannot be described as JSON Schema: ${(error as Error).message}` });
    return null;
  }
}

export function resolveBoundary(value: unknown, name: "start" | "end", timezone: string, report: Report): string | null {
  if (value === undefined || value === null) return null;
  let ms: number | null = null;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "string") ms = parseZonedDateTime(value, timezone);
  if (ms === null || !Number.isFinite(ms)) {
    report({
      code: "pipeline_option_invalid",
      message: `${name}: ${JSON.stringify(value instanceof Date ? "Invalid Date" : value)} is not a date (use "YYYY-MM-DD", an ISO timestamp or a Date)`,
    });
    return null;
  }
  return new Date(ms).toISOString();
}

export function resolveTags(tags: unknown, report: Report): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) {
    report({ code: "pipeline_option_invalid", message: "tags must be an array of strings" });
    return [];
  }
  return [...new Set(tags as string[])];
}

export function positiveInteger(value: unknown, name: string, report: Report): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be a whole number ≥ 1, got ${JSON.stringify(value)}` });
  return null;
}

export function booleanOption(value: unknown, fallback: boolean, name: string, report: Report): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be true or false` });
  return fallback;
}

export function optionalString(value: unknown, name: string, report: Report): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be a string` });
  return null;
}

export function optionalDuration(value: Duration | undefined, name: string, report: Report, positive: boolean): number | null {
  if (value === undefined || value === null) return null;
  try {
    const ms = parseDuration(value, name);
    if (positive && ms <= 0) {
      report({ code: "pipeline_option_invalid", message: `${name} must be longer than 0` });
      return null;
    }
    return ms;
  } catch (error) {
    report({ code: "duration_invalid", message: (error as Error).message });
    return null;
  }
}

/** A plain copy, so the graph is JSON data and a later change to the user's object cannot reach it. */
export function cloneSchedule(schedule: Schedule | undefined): Schedule {
  if (schedule === undefined || schedule === null) return null;
  if (typeof schedule !== "object") return schedule;
  if ("events" in schedule) {
    const copy: { events: readonly string[]; batch?: EventBatch; cron?: string } = { events: Array.isArray(schedule.events) ? [...schedule.events] : schedule.events };
    if (schedule.batch !== undefined) copy.batch = typeof schedule.batch === "object" && schedule.batch !== null ? { ...schedule.batch } : schedule.batch;
    if (schedule.cron !== undefined) copy.cron = schedule.cron;
    return copy;
  }
  if ("after" in schedule) {
    const copy: { after: readonly string[]; cron?: string } = { after: Array.isArray(schedule.after) ? [...schedule.after] : schedule.after };
    if (schedule.cron !== undefined) copy.cron = schedule.cron;
    return copy;
  }
  return schedule;
}

/** The `event` option: a zod schema of whatever shape (a payload need not be an object), kept as JSON Schema for the API. */
export function resolveEventSchema(schema: unknown, report: Report): Record<string, unknown> | null {
  if (schema === undefined || schema === null) return null;
  if (typeof schema !== "object" || typeof (schema as { safeParse?: unknown }).safeParse !== "function") {
    report({ code: "event_schema_invalid", message: "event must be a zod schema (zod 4), e.g. z.object({ rows: z.number() })" });
    return null;
  }
  try {
    return toJsonSchema(schema);
  } catch (error) {
    report({ code: "event_schema_invalid", message: `event schema cannot be described as JSON Schema: ${(error as Error).message}` });
    return null;
  }
}

/** JSON Schema of a zod 4 schema's input, through the schema's own `toJSONSchema`. */
export function toJsonSchema(schema: unknown): Record<string, unknown> {
  const convert = (schema as { toJSONSchema?: (params: { io: "input"; unrepresentable: "any" }) => unknown }).toJSONSchema;
  if (typeof convert !== "function") throw new Error("the schema has no toJSONSchema method (zod 4 is required)");
  return convert.call(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
