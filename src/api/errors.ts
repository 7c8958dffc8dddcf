// Every error the API answers with: `{ "error": { "code", "message", "where"? } }` and a 4xx status chosen
// from the error's stable code, never a stack trace. Internal failures are 500 with a short message.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isWeirError, WeirError } from "../common/errors.js";
import { ParamInvalidError } from "../scheduler/commands/prepare-run.js";
import type { ApiError } from "./types.js";

/** Unknown ids. */
const NOT_FOUND = new Set(["pipeline_not_found", "run_not_found", "task_not_found", "task_unknown", "try_not_found", "backfill_not_found", "route_not_found", "log_not_found", "event_not_found"]);
/** The request is fine but the state of things forbids it now. */
const CONFLICT = new Set([
  "run_driven",
  "run_ended",
  "run_not_started",
  "run_changed",
  "run_owned",
  "nothing_to_clear",
  "task_not_ended",
  "task_already_marked",
  "task_removed",
  "backfill_ended",
  "pipeline_file_missing",
  "scheduler_running",
  "scheduler_busy",
]);
/** The request itself is malformed: not JSON, wrong types. */
const BAD_REQUEST = new Set(["malformed_json", "bad_request"]);

/** An error of the request's shape (400): `where` names the field. */
export function badRequest(message: string, field?: string): WeirError {
  return new WeirError("bad_request", message, field === undefined ? {} : { where: { param: field } });
}

/** A value of the right type that is not acceptable (422). */
export function invalidValue(message: string, field?: string): WeirError {
  return new WeirError("invalid_value", message, field === undefined ? {} : { where: { param: field } });
}

export function statusOf(error: WeirError): ContentfulStatusCode {
  if (!error.isInputError) return 500;
  if (NOT_FOUND.has(error.code)) return 404;
  if (CONFLICT.has(error.code)) return 409;
  if (BAD_REQUEST.has(error.code)) return 400;
  return 422;
}

export function errorBody(error: unknown): { status: ContentfulStatusCode; body: ApiError } {
  if (isWeirError(error) && error.isInputError) {
    const where: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(error.where ?? {})) if (typeof value === "string" || typeof value === "number") where[key] = value;
    // A rejected param is named in `where` (the message names every one).
    if (error instanceof ParamInvalidError && error.params[0] !== undefined) where.param = error.params[0];
    const body: ApiError = { error: { code: error.code, message: error.message, ...(Object.keys(where).length > 0 ? { where } : {}) } };
    return { status: statusOf(error), body };
  }
  const code = isWeirError(error) ? error.code : "internal_error";
  // The cause goes to the server's stderr (with WEIR_DEBUG its stack); the client gets one line.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`weir server: ${code}: ${message}${process.env.WEIR_DEBUG && error instanceof Error ? `\n${error.stack ?? ""}` : ""}\n`);
  return { status: 500, body: { error: { code, message: "internal error: see the server's log" } } };
}

export function respondWithError(c: Context, error: unknown): Response {
  const { status, body } = errorBody(error);
  return c.json(body, status);
}
