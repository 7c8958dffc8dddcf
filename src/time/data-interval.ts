// Logical dates and data intervals (Airflow's semantics): the run for logical date D covers
// [D, next fire after D) and is due once that interval has ended.
import { WeirError } from "../common/errors.js";
import { parseZonedDateTime } from "../graph/zoned-time.js";
import { nextFireAfter, previousFireAtOrBefore } from "./fire-times.js";
import { assertTimezone, type ParsedSchedule } from "./schedule.js";

export interface DataIntervalMs {
  startMs: number;
  endMs: number;
}

export class LogicalDateInvalidError extends WeirError {
  constructor(text: unknown, timezone: string) {
    super(
      "logical_date_invalid",
      `logical date ${JSON.stringify(text)} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:mm[:ss], read in ${timezone}, or an ISO timestamp with Z or an offset)`,
    );
  }
}

/**
 * Reads a logical date given by a user: "YYYY-MM-DD" is midnight in `timezone`, "YYYY-MM-DDTHH:mm[:ss]"
 * is wall-clock time in `timezone`, a timestamp with `Z` or an offset is taken as is.
 * @throws LogicalDateInvalidError (`logical_date_invalid`), TimezoneInvalidError (`timezone_invalid`).
 */
export function parseLogicalDate(text: string, timezone: string): number {
  assertTimezone(timezone);
  const ms = typeof text === "string" ? parseZonedDateTime(text, timezone) : null;
  if (ms === null || !Number.isFinite(ms)) throw new LogicalDateInvalidError(text, timezone);
  return ms;
}

/**
 * The data interval of the run for logical date D: [D, next fire after D) for cron and interval
 * schedules (also when D is not itself a fire time); [D, D] for manual, event and after-pipeline runs.
 */
export function dataIntervalFor(schedule: ParsedSchedule, logicalDateMs: number): DataIntervalMs {
  const endMs = nextFireAfter(schedule, logicalDateMs);
  return { startMs: logicalDateMs, endMs: endMs ?? logicalDateMs };
}

/**
 * The latest interval that has ended by `nowMs`: it ends at the last fire time ≤ now and starts at the
 * fire before that. Its start is the logical date of the run due now. Null for schedules that do not
 * fire by themselves, or when there is no earlier fire.
 */
export function latestCompleteInterval(schedule: ParsedSchedule, nowMs: number): DataIntervalMs | null {
  const endMs = previousFireAtOrBefore(schedule, nowMs);
  if (endMs === null) return null;
  const startMs = previousFireAtOrBefore(schedule, endMs - 1);
  return startMs === null ? null : { startMs, endMs };
}
