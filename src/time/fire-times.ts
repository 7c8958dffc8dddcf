// When a schedule fires. Cron is matched against wall-clock time in the pipeline's zone (croner runs on
// a UTC clock of wall-clock digits; this file maps wall-clock times to instants, DST included):
//  - a wall-clock time that does not exist (spring forward) fires once, moved forward by the gap:
//    a daily 02:30 in Europe/Berlin fires at 03:30 CEST on the last Sunday of March;
//  - a wall-clock time that occurs twice (fall back) fires once, at its first occurrence — unless the
//    expression matches every hour ("0 * * * *", "*/15 * * * *"), which fires at both, so hourly
//    schedules keep firing every real hour (25 runs that day), as cron does.
import { toWallMs, wallToInstant, wallToInstants, zoneOffsetMs } from "../graph/zoned-time.js";
import { compiledCron, type CronSchedule, type ParsedSchedule } from "./schedule.js";
import { assertNever } from "../common/assert-never.js";

const MINUTE_MS = 60_000;
/** Bigger than any DST shift (the largest is 2h): an offset change can reorder fire times only this close. */
const NEAR_MS = 3 * 3_600_000;
/** How far back to look for a previous fire before giving up (croner covers years 1–9999). */
const MAX_LOOKBACK_MS = 400 * 366 * 86_400_000;

/**
 * How much the zone's offset changes within NEAR_MS of an instant (0 almost always). Only wall-clock
 * times that close to a matching one can reorder around it, so searches widen by exactly this much.
 */
function offsetShiftNear(timezone: string, instantMs: number): number {
  return Math.abs(zoneOffsetMs(timezone, instantMs + NEAR_MS) - zoneOffsetMs(timezone, instantMs - NEAR_MS));
}

/** First wall-clock match strictly after wallMs. */
function nextWall(expression: string, wallMs: number): number | null {
  return compiledCron(expression).cron.nextRun(new Date(wallMs))?.getTime() ?? null;
}

/**
 * Last wall-clock match at or before wallMs. Searches forward from ever earlier points (croner's own
 * backward search throws on expressions that rarely match), then narrows by bisection.
 */
function previousWall(expression: string, wallMs: number): number | null {
  for (let step = MINUTE_MS; step <= MAX_LOOKBACK_MS; step *= 2) {
    const first = nextWall(expression, wallMs - step);
    if (first === null || first > wallMs) continue;
    // Largest minute `lo` with nextWall(lo) ≤ wallMs; its next match is the last one ≤ wallMs.
    let lo = Math.floor((wallMs - step) / MINUTE_MS);
    let hi = Math.floor(wallMs / MINUTE_MS);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const match = nextWall(expression, mid * MINUTE_MS);
      if (match !== null && match <= wallMs) lo = mid;
      else hi = mid - 1;
    }
    return nextWall(expression, lo * MINUTE_MS);
  }
  return null;
}

/** The instants at which one matching wall-clock time fires (see the rules at the top). */
function firesAt(schedule: CronSchedule, wallMs: number, everyHour: boolean): number[] {
  const instants = wallToInstants(schedule.timezone, wallMs);
  if (instants.length === 0) return [wallToInstant(schedule.timezone, wallMs)];
  return everyHour ? instants : instants.slice(0, 1);
}

function nextCronFire(schedule: CronSchedule, afterMs: number): number | null {
  const { timezone, expression } = schedule;
  const { everyHour } = compiledCron(expression);
  const wall = toWallMs(timezone, afterMs);
  let candidate = nextWall(expression, wall - offsetShiftNear(timezone, afterMs));
  let best: number | null = null;
  let bestWall = 0;
  let horizon = Number.POSITIVE_INFINITY;
  while (candidate !== null && candidate <= horizon) {
    for (const instant of firesAt(schedule, candidate, everyHour)) {
      if (instant > afterMs && (best === null || instant < best)) {
        best = instant;
        bestWall = candidate;
        horizon = bestWall + offsetShiftNear(timezone, best);
      }
    }
    candidate = nextWall(expression, candidate);
  }
  return best;
}

function previousCronFire(schedule: CronSchedule, atMs: number): number | null {
  const { timezone, expression } = schedule;
  const { everyHour } = compiledCron(expression);
  const wall = toWallMs(timezone, atMs);
  let candidate = previousWall(expression, wall + offsetShiftNear(timezone, atMs));
  let best: number | null = null;
  let horizon = Number.NEGATIVE_INFINITY;
  while (candidate !== null && candidate >= horizon) {
    for (const instant of firesAt(schedule, candidate, everyHour)) {
      if (instant <= atMs && (best === null || instant > best)) {
        best = instant;
        horizon = candidate - offsetShiftNear(timezone, best);
      }
    }
    candidate = previousWall(expression, candidate - 1);
  }
  return best;
}

function cronOf(schedule: ParsedSchedule): CronSchedule | null {
  switch (schedule.kind) {
    case "cron":
      return schedule;
    case "events":
    case "after":
      return schedule.cron;
    case "interval":
    case "manual":
      return null;
    default:
      return assertNever(schedule, "schedule");
  }
}

/** The first time the schedule fires strictly after `afterMs`; null if it never fires by itself. */
export function nextFireAfter(schedule: ParsedSchedule, afterMs: number): number | null {
  if (schedule.kind === "interval") {
    const { everyMs, anchorMs } = schedule;
    return anchorMs + (Math.floor((afterMs - anchorMs) / everyMs) + 1) * everyMs;
  }
  const cron = cronOf(schedule);
  return cron === null ? null : nextCronFire(cron, afterMs);
}

/** The last time the schedule fires at or before `atMs`; null if none (or it never fires by itself). */
export function previousFireAtOrBefore(schedule: ParsedSchedule, atMs: number): number | null {
  if (schedule.kind === "interval") {
    const { everyMs, anchorMs } = schedule;
    return anchorMs + Math.floor((atMs - anchorMs) / everyMs) * everyMs;
  }
  const cron = cronOf(schedule);
  return cron === null ? null : previousCronFire(cron, atMs);
}

/** Fire times in [fromMs, toMs], oldest first, at most `limit` of them (for backfills and catch-up). */
export function fireTimesBetween(schedule: ParsedSchedule, fromMs: number, toMs: number, limit = 10_000): number[] {
  const times: number[] = [];
  for (let t = nextFireAfter(schedule, fromMs - 1); t !== null && t <= toMs && times.length < limit; t = nextFireAfter(schedule, t)) {
    times.push(t);
  }
  return times;
}
