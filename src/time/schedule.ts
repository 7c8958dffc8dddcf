// Parsing a pipeline's schedule (cron, preset, interval, events, after, manual) and its time zone into
// one checked value, so the scheduler never meets a schedule it cannot compute fire times for.
import { Cron, CronPattern } from "croner";
import { WeirError } from "../common/errors.js";
import { isValidId } from "../common/ids.js";
import { parseDuration } from "../define/duration.js";
import type { Schedule } from "../define/types.js";
import type { PipelineGraph } from "../graph/types.js";
import { isValidTimeZone } from "../graph/zoned-time.js";

/** A cron expression (presets expanded) read in an IANA time zone. */
export interface CronSchedule {
  kind: "cron";
  /** Five fields: minute hour day-of-month month day-of-week. */
  expression: string;
  timezone: string;
}

/** Fixed-length intervals ("15m"), DST-blind: fires at anchorMs + k × everyMs for every integer k. */
export interface IntervalSchedule {
  kind: "interval";
  everyMs: number;
  /** The pipeline's start, or 0 (the epoch) when it has none. */
  anchorMs: number;
}

export type ParsedSchedule =
  | CronSchedule
  | IntervalSchedule
  | { kind: "manual" }
  | { kind: "events"; events: string[]; batch: EventBatchPolicy; cron: CronSchedule | null }
  | { kind: "after"; pipelines: string[]; cron: CronSchedule | null };

/** How an event schedule turns events into runs (docs/events.md). */
export type EventBatchPolicy = { mode: "each" } | { mode: "latest" } | { mode: "batch"; max: number; windowMs: number };

/** Most events one batched run takes. */
export const MAX_EVENT_BATCH = 10_000;

export class ScheduleInvalidError extends WeirError {
  constructor(schedule: unknown, why: string) {
    super("schedule_invalid", `schedule ${describe(schedule)} is not valid: ${why}`);
  }
}

export class TimezoneInvalidError extends WeirError {
  constructor(timezone: unknown) {
    super("timezone_invalid", `timezone ${describe(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin", "America/New_York")`);
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Presets (Airflow's and cron's names) → the cron expression they stand for. */
export const SCHEDULE_PRESETS: Readonly<Record<string, string>> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

const CRON_HELP = 'use a cron expression like "0 2 * * *", a preset like "@daily", an interval like "15m", or null for manual runs';

interface CompiledCron {
  cron: Cron;
  /** Every hour matches: such a schedule fires at both occurrences of a repeated (fall-back) hour. */
  everyHour: boolean;
}

const compiled = new Map<string, CompiledCron>();
const MAX_COMPILED = 1000;

/** The croner job for an expression, evaluated on a UTC clock (wall-clock digits; see fire-times.ts). */
export function compiledCron(expression: string): CompiledCron {
  let entry = compiled.get(expression);
  if (entry === undefined) {
    const cron = new Cron(expression, { utcOffset: 0, mode: "5-part" });
    const hours = new CronPattern(expression, undefined, { mode: "5-part" }).hour;
    entry = { cron, everyHour: hours.length === 24 && hours.every((h) => h === 1) };
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(expression, entry);
  }
  return entry;
}

/** Checks the time zone; throws TimezoneInvalidError (`timezone_invalid`). */
export function assertTimezone(timezone: unknown): asserts timezone is string {
  if (!isValidTimeZone(timezone)) throw new TimezoneInvalidError(timezone);
}

function parseCron(text: string, timezone: string, original: unknown): CronSchedule {
  const trimmed = text.trim().replace(/\s+/g, " ");
  let expression = trimmed;
  if (trimmed.startsWith("@")) {
    const preset = SCHEDULE_PRESETS[trimmed.toLowerCase()];
    if (preset === undefined) {
      throw new ScheduleInvalidError(original, `unknown preset (presets: ${Object.keys(SCHEDULE_PRESETS).join(", ")})`);
    }
    expression = preset;
  }
  const fields = expression.split(" ").length;
  if (fields !== 5) {
    throw new ScheduleInvalidError(original, `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this has ${fields}; ${CRON_HELP}`);
  }
  let entry: CompiledCron;
  try {
    entry = compiledCron(expression);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, "");
    throw new ScheduleInvalidError(original, `${why}; ${CRON_HELP}`);
  }
  if (entry.cron.nextRun(new Date(0)) === null) {
    throw new ScheduleInvalidError(original, "it never fires (no date matches it)");
  }
  return { kind: "cron", expression, timezone };
}

function parseStringSchedule(text: string, timezone: string, anchorMs: number): CronSchedule | IntervalSchedule {
  const trimmed = text.trim();
  if (trimmed === "") throw new ScheduleInvalidError(text, `it is empty; ${CRON_HELP}`);
  if (!/\s/.test(trimmed) && !trimmed.startsWith("@")) {
    let everyMs: number;
    try {
      everyMs = parseDuration(trimmed, "schedule");
    } catch {
      throw new ScheduleInvalidError(text, `it is neither a cron expression nor an interval; ${CRON_HELP}`);
    }
    if (everyMs < 1000) throw new ScheduleInvalidError(text, "an interval must be at least 1s");
    return { kind: "interval", everyMs, anchorMs };
  }
  return parseCron(trimmed, timezone, text);
}

function stringList(value: unknown, schedule: unknown, name: string, check: (s: string) => boolean): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ScheduleInvalidError(schedule, `${name} must be a non-empty array`);
  for (const item of value) {
    if (typeof item !== "string" || !check(item)) throw new ScheduleInvalidError(schedule, `${name} has an invalid entry ${describe(item)}`);
  }
  return [...new Set(value as string[])];
}

/**
 * Parses and checks a schedule read in `timezone`. Intervals are anchored at `anchorMs` (the
 * pipeline's start; the epoch by default).
 * @throws ScheduleInvalidError (`schedule_invalid`) or TimezoneInvalidError (`timezone_invalid`).
 */
export function parseSchedule(schedule: Schedule | undefined, timezone: string, anchorMs = 0): ParsedSchedule {
  assertTimezone(timezone);
  if (schedule === null || schedule === undefined) return { kind: "manual" };
  if (typeof schedule === "string") return parseStringSchedule(schedule, timezone, anchorMs);
  if (typeof schedule !== "object" || Array.isArray(schedule)) {
    throw new ScheduleInvalidError(schedule, `a schedule is a string, { events: [...] }, { after: [...] } or null; ${CRON_HELP}`);
  }
  const keys = Object.keys(schedule);
  if ("events" in schedule && keys.every((k) => k === "events" || k === "cron" || k === "batch")) {
    const events = stringList(schedule.events, schedule, "events", isValidEventName);
    const batch = parseBatch(schedule.batch, schedule);
    return { kind: "events", events, batch, cron: optionalCron(schedule.cron, timezone, schedule) };
  }
  if ("after" in schedule && keys.every((k) => k === "after" || k === "cron")) {
    return { kind: "after", pipelines: stringList(schedule.after, schedule, "after", isValidId), cron: optionalCron(schedule.cron, timezone, schedule) };
  }
  throw new ScheduleInvalidError(schedule, "an object schedule is { events: [...], batch?, cron? } or { after: [...], cron? }");
}

/** Event names: what `POST /api/v1/events/<name>` and `weir emit <name>` accept (letters, digits, `_.:-`). */
export function isValidEventName(name: string): boolean {
  return /^[A-Za-z0-9_.:-]{1,200}$/.test(name);
}

function optionalCron(cron: unknown, timezone: string, schedule: unknown): CronSchedule | null {
  if (cron === undefined) return null;
  if (typeof cron !== "string") throw new ScheduleInvalidError(schedule, "cron must be a string");
  return parseCron(cron, timezone, schedule);
}

function parseBatch(batch: unknown, schedule: unknown): EventBatchPolicy {
  if (batch === undefined || batch === "each") return { mode: "each" };
  if (batch === "latest") return { mode: "latest" };
  if (typeof batch === "object" && batch !== null && !Array.isArray(batch)) {
    const { max, window } = batch as { max?: unknown; window?: unknown };
    const extra = Object.keys(batch).filter((k) => k !== "max" && k !== "window");
    if (extra.length > 0) throw new ScheduleInvalidError(schedule, `batch takes max and window, not ${extra.join(", ")}`);
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > MAX_EVENT_BATCH) {
      throw new ScheduleInvalidError(schedule, `batch.max must be an integer from 1 to ${MAX_EVENT_BATCH}`);
    }
    let windowMs: number;
    try {
      windowMs = parseDuration(window as string | number, "batch.window");
    } catch (error) {
      throw new ScheduleInvalidError(schedule, `batch.window: ${(error as Error).message}`);
    }
    return { mode: "batch", max, windowMs };
  }
  throw new ScheduleInvalidError(schedule, 'batch is "each" (default), "latest" or { max: N, window: "5m" }');
}

/** The schedule of a compiled graph: its timezone, intervals anchored at its start. */
export function parseGraphSchedule(graph: Pick<PipelineGraph, "schedule" | "timezone" | "start">): ParsedSchedule {
  const anchorMs = graph.start === null ? 0 : Date.parse(graph.start);
  return parseSchedule(graph.schedule, graph.timezone, Number.isFinite(anchorMs) ? anchorMs : 0);
}

/** The message of what is wrong with the schedule or time zone, or null when both are fine. */
export function validateSchedule(schedule: Schedule | undefined, timezone: string): string | null {
  try {
    parseSchedule(schedule, timezone);
    return null;
  } catch (error) {
    if (error instanceof WeirError) return error.message;
    throw error;
  }
}
