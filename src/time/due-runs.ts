// Which scheduled runs are due at a given instant (Airflow's data-interval semantics). Pure: the
// scheduler passes `nowMs` and the latest logical date it has already created a run for, and gets the
// runs to create. The run for logical date D covers [D, next fire after D) and is due once that
// interval has ended (next(D) ≤ now).
//
// Boundaries (see README.md, "Due runs"):
//  - `start` is inclusive: the first logical date is the first fire at or after start.
//  - `end` is inclusive, as in Airflow: a run is created for every logical date ≤ end, even though its
//    interval ends after end (end "2025-09-30" with @daily gives the run covering [09-30, 10-01)).
//  - catchup on: every interval after lastLogicalDate (or from the first one at/after start), oldest
//    first, at most `limit` per call; catchup off: only the latest complete interval in [start, end],
//    and only if it is after lastLogicalDate.
//  - Pausing: while paused the scheduler does not call dueRuns; on unpause it calls it with the same
//    lastLogicalDate, so catchup decides what happens to the missed intervals (all of them, or only the
//    latest).
import { WeirError } from "../common/errors.js";
import { nextFireAfter, previousFireAtOrBefore } from "./fire-times.js";
import { latestCompleteInterval } from "./data-interval.js";
import type { ParsedSchedule } from "./schedule.js";

/** One run to create: its logical date and data interval [intervalStartMs, intervalEndMs). */
export interface DueRun {
  logicalDateMs: number;
  intervalStartMs: number;
  intervalEndMs: number;
}

export interface DueRunsOptions {
  /** The pipeline's start (inclusive), or null when it has none. */
  startMs: number | null;
  /** The pipeline's end (inclusive: logical dates ≤ end get runs), or null when it has none. */
  endMs: number | null;
  catchup: boolean;
  /** The latest logical date a scheduled run has already been created for, or null when none has. */
  lastLogicalDateMs: number | null;
  nowMs: number;
  /** At most this many runs per call (default 1000); call again with the new lastLogicalDateMs. */
  limit?: number;
}

export const DEFAULT_DUE_RUNS_LIMIT = 1000;

/**
 * True for schedules that fire by themselves (cron, intervals, events with a cron); false for manual,
 * event-only and after-pipeline schedules, which never have due runs and cannot be backfilled.
 */
export function firesByItself(schedule: ParsedSchedule): boolean {
  return schedule.kind === "cron" || schedule.kind === "interval" || ((schedule.kind === "events" || schedule.kind === "after") && schedule.cron !== null);
}

/**
 * nextFireAfter, remembered per schedule object for the few instants used last. A scheduler that keeps up asks
 * for the same fire times on every wake-up (next after the last run, next after that), and a cron fire
 * time in a zone costs tens of microseconds; this makes a wake-up with nothing due nearly free.
 */
const MEMO_SIZE = 16;
const memo = new WeakMap<ParsedSchedule, Map<number, number | null>>();

function nextFire(schedule: ParsedSchedule, afterMs: number): number | null {
  let known = memo.get(schedule);
  if (known === undefined) {
    known = new Map();
    memo.set(schedule, known);
  }
  if (known.has(afterMs)) {
    const hit = known.get(afterMs) ?? null;
    known.delete(afterMs); // least recently used first: the start bound stays while runs stream past
    known.set(afterMs, hit);
    return hit;
  }
  const next = nextFireAfter(schedule, afterMs);
  if (known.size >= MEMO_SIZE) known.delete(known.keys().next().value as number);
  known.set(afterMs, next);
  return next;
}

function interval(schedule: ParsedSchedule, logicalDateMs: number): DueRun | null {
  const endMs = nextFire(schedule, logicalDateMs);
  return endMs === null ? null : { logicalDateMs, intervalStartMs: logicalDateMs, intervalEndMs: endMs };
}

/**
 * The earliest logical date that may still get a run: the first fire after lastLogicalDate and at or
 * after start. With neither (a pipeline without start that never ran), there is no lower bound to catch
 * up from, so it is the latest complete interval's logical date (or the last fire ≤ now, if none).
 * Null when the schedule does not fire by itself or the candidate lies after end.
 */
function firstCandidate(schedule: ParsedSchedule, options: DueRunsOptions): number | null {
  const { startMs, endMs, lastLogicalDateMs, nowMs } = options;
  let candidate: number | null;
  if (lastLogicalDateMs === null && startMs === null) {
    candidate = latestCompleteInterval(schedule, nowMs)?.startMs ?? previousFireAtOrBefore(schedule, nowMs) ?? nextFireAfter(schedule, nowMs);
  } else {
    const afterLast = lastLogicalDateMs === null ? null : nextFire(schedule, lastLogicalDateMs);
    const fromStart = startMs === null ? null : nextFire(schedule, startMs - 1);
    if ((lastLogicalDateMs !== null && afterLast === null) || (startMs !== null && fromStart === null)) return null;
    candidate = Math.max(afterLast ?? Number.NEGATIVE_INFINITY, fromStart ?? Number.NEGATIVE_INFINITY);
  }
  if (candidate === null || (endMs !== null && candidate > endMs)) return null;
  return candidate;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new WeirError("due_runs_limit_invalid", `dueRuns limit must be a positive integer, got ${String(limit)}`, { input: false });
  }
  return limit;
}

/** Walking forward this many intervals is cheaper than searching backwards from now (catchup off). */
const WALK_STEPS = 8;

/**
 * Catchup off: the latest complete interval whose logical date is in [first, end], given that the
 * interval of `first` is complete. A scheduler that keeps up finds it within a step or two of `first`;
 * after a long pause it searches back from now instead.
 */
function latestDue(schedule: ParsedSchedule, firstRun: DueRun, endMs: number | null, nowMs: number): DueRun {
  let run = firstRun;
  for (let step = 0; step < WALK_STEPS; step++) {
    const logicalDateMs = run.intervalEndMs;
    if (endMs !== null && logicalDateMs > endMs) return run;
    const next = interval(schedule, logicalDateMs);
    if (next === null || next.intervalEndMs > nowMs) return run;
    run = next;
  }
  let latest = latestCompleteInterval(schedule, nowMs)?.startMs ?? run.logicalDateMs;
  if (endMs !== null && latest > endMs) latest = previousFireAtOrBefore(schedule, endMs) ?? run.logicalDateMs;
  if (latest <= run.logicalDateMs) return run;
  const found = interval(schedule, latest);
  return found === null || found.intervalEndMs > nowMs ? run : found;
}

/**
 * The scheduled runs due at `nowMs`, oldest first (see the boundaries at the top of this file).
 * Empty for schedules that do not fire by themselves (manual, events without cron, after-pipeline).
 */
export function dueRuns(schedule: ParsedSchedule, options: DueRunsOptions): DueRun[] {
  const limit = checkLimit(options.limit ?? DEFAULT_DUE_RUNS_LIMIT);
  if (!firesByItself(schedule)) return [];
  const first = firstCandidate(schedule, options);
  if (first === null) return [];
  const firstRun = interval(schedule, first);
  // Fast path (the scheduler's usual wake-up before anything is due): the oldest candidate has not ended.
  if (firstRun === null || firstRun.intervalEndMs > options.nowMs) return [];
  const { endMs, nowMs } = options;
  const catchup = options.catchup && (options.lastLogicalDateMs !== null || options.startMs !== null);

  if (!catchup) return [latestDue(schedule, firstRun, endMs, nowMs)];

  const runs: DueRun[] = [firstRun];
  let current = firstRun;
  while (runs.length < limit) {
    const logicalDateMs = current.intervalEndMs;
    if (endMs !== null && logicalDateMs > endMs) break;
    const next = interval(schedule, logicalDateMs);
    if (next === null || next.intervalEndMs > nowMs) break;
    runs.push(next);
    current = next;
  }
  return runs;
}

/**
 * When the next run not yet created becomes due: the end of the interval of the oldest logical date
 * that may still get a run (the same for catchup on and off). A value ≤ nowMs means runs are due already
 * (call dueRuns now). Null when no run will ever be due (manual, event-only or after-pipeline
 * schedules, or past end).
 */
export function nextWakeMs(schedule: ParsedSchedule, options: DueRunsOptions): number | null {
  if (!firesByItself(schedule)) return null;
  const first = firstCandidate(schedule, options);
  return first === null ? null : nextFire(schedule, first);
}
