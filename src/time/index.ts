// The public surface of time/: schedules, fire times, logical dates and data intervals.
export {
  parseSchedule,
  parseGraphSchedule,
  validateSchedule,
  assertTimezone,
  ScheduleInvalidError,
  TimezoneInvalidError,
  SCHEDULE_PRESETS,
} from "./schedule.js";
export type { ParsedSchedule, CronSchedule, IntervalSchedule } from "./schedule.js";
export { nextFireAfter, previousFireAtOrBefore, fireTimesBetween } from "./fire-times.js";
export { dataIntervalFor, parseLogicalDate, latestCompleteInterval, LogicalDateInvalidError } from "./data-interval.js";
export type { DataIntervalMs } from "./data-interval.js";
