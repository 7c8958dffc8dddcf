// Time sensors: done once the clock passes a time of day (on the day the data interval ends, in a time zone)
// or a delay after the data interval's end. Pure arithmetic on the context and the clock.
import { parseDuration, type Duration } from "../../define/duration.js";
import type { TaskContext } from "../../define/types.js";

/**
 * Done at `time` ("HH:MM" or "HH:MM:SS") on the day the run's data interval ends, in `timezone` (default UTC).
 * @example
 * p.sensor("after_close", timeOfDaySensor("18:30", { timezone: "America/New_York" }));
 */
export function timeOfDaySensor(time: string, options: { timezone?: string } = {}): ((ctx: TaskContext<unknown>) => boolean) & { waitsFor: string } {
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59 || Number(match[3] ?? 0) > 59) throw new Error(`timeOfDaySensor: "${time}" is not a time of day (use "HH:MM" or "HH:MM:SS")`);
  const zone = options.timezone ?? "UTC";
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
  const check = (ctx: TaskContext<unknown>): boolean => Date.now() >= timeOfDayOn(ctx.interval.end, seconds, zone);
  return Object.assign(check, { waitsFor: `${time} ${zone} on the day the interval ends` });
}

/**
 * Done `delay` after the run's data interval ends (Airflow's TimeDeltaSensor).
 * @example
 * p.sensor("settled", timeDeltaSensor("2h"));
 */
export function timeDeltaSensor(delay: Duration): ((ctx: TaskContext<unknown>) => boolean) & { waitsFor: string } {
  const ms = parseDuration(delay, "timeDeltaSensor delay");
  const check = (ctx: TaskContext<unknown>): boolean => Date.now() >= ctx.interval.end.getTime() + ms;
  return Object.assign(check, { waitsFor: `${typeof delay === "number" ? `${delay} ms` : delay} after the interval ends` });
}

/** Epoch ms of the given seconds after local midnight, on `day`'s local date in `zone`. */
function timeOfDayOn(day: Date, seconds: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(day);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day")) + seconds * 1000;
  // The zone's offset at that wall time (twice: the first guess may fall on the other side of a DST change).
  let instant = wall - offsetMs(wall, zone);
  instant = wall - offsetMs(instant, zone);
  return instant;
}

function offsetMs(at: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) - Math.floor(at / 1000) * 1000;
}
