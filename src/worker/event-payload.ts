// The payload of the event(s) that started a run (docs/events.md). A run stores it with its params, under
// EVENT_PARAM, so clears and retries see the same payload; tasks get it as `ctx.event`, parsed through the
// pipeline's `event` schema once per try (like params), and never as a param. Runs in the worker: the
// schema is user code.
import type { z } from "zod";
import type { ParamsResult } from "./protocol.js";

/** The key of a run's stored params that holds its event payload (not a valid param name for a user). */
export const EVENT_PARAM = "$event";

/** The stored params without the event payload: what the params schema sees. */
export function withoutEvent(stored: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(stored, EVENT_PARAM)) return stored;
  const { [EVENT_PARAM]: _event, ...params } = stored;
  return params;
}

/**
 * Checks one event payload against the pipeline's `event` schema (none: every JSON value is accepted). The answer has
 * the shape of a params answer (problems named by their path in the payload) so it travels the same way.
 */
export function validateEventPayload(schema: z.ZodType | undefined, payload: unknown): ParamsResult {
  if (schema === undefined) return { ok: true, params: {} };
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, params: {} };
  return { ok: false, problems: parsed.error.issues.map((issue) => ({ param: issue.path.map(String).join("."), message: issue.message })) };
}

/**
 * `ctx.event`: the stored payload parsed through the schema (defaults and transforms apply here); an array
 * (a batched run) is parsed element by element. The stored value itself where the schema doesn't take it.
 */
export function eventForTry(schema: z.ZodType | undefined, stored: Record<string, unknown>, batched: boolean): unknown {
  if (!Object.hasOwn(stored, EVENT_PARAM)) return undefined;
  const payload = stored[EVENT_PARAM];
  if (schema === undefined) return payload;
  const parse = (value: unknown): unknown => {
    try {
      const parsed = schema.safeParse(value);
      return parsed.success ? parsed.data : value;
    } catch {
      return value;
    }
  };
  return batched && Array.isArray(payload) ? payload.map(parse) : parse(payload);
}

/** Whether a pipeline's schedule batches events (`batch: { max, window }`): its `ctx.event` is an array. */
export function isBatchedSchedule(schedule: unknown): boolean {
  if (typeof schedule !== "object" || schedule === null || !("events" in schedule)) return false;
  const batch = (schedule as { batch?: unknown }).batch;
  return typeof batch === "object" && batch !== null;
}
