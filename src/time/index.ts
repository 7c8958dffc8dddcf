// The public surface of time/: schedules, fire times, logical dates and data intervals.
export {
  parseSchedule,
  parseGraphSchedule,
  validateSchedule,
  assertTimezone,
  ScheduleInvalidError,
  TimezoneInvalidError,
  SCHEDULE_PRESETS,
  isValidEventName,
  MAX_EVENT_BATCH,
} from "./schedule.js";
export type { ParsedSchedule, CronSchedule, IntervalSchedule, EventBatchPolicy } from "./schedule.js";
export { nextFireAfter, previousFireAtOrBefore, fireTimesBetween } from "./fire-times.js";
export { dataIntervalFor, parseLogicalDate, latestCompleteInterval, LogicalDateInvalidError } from "./data-interval.js";
export type { DataIntervalMs } from "./data-interval.js";
export { dueRuns, nextWakeMs, firesByItself, DEFAULT_DUE_RUNS_LIMIT } from "./due-runs.js";
export type { DueRun, DueRunsOptions } from "./due-runs.js";
export { planBackfill, describeBackfillPlan, MAX_BACKFILL_INTERVALS, REPROCESS_MODES } from "./backfill-plan.js";
export type { BackfillAction, BackfillPlanItem, BackfillPlanOptions, ExistingRun, ReprocessMode, ExistingRunState } from "./backfill-plan.js";
