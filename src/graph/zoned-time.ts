// Wall-clock time in an IANA time zone, computed with Intl (no I/O). It lives in graph/, not time/,
// because the compiler resolves a pipeline's `start`/`end` in its timezone; time/ builds on it.

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when Intl knows the IANA time zone (e.g. "Europe/Berlin", "UTC"). */
export function isValidTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== "string" || timeZone.trim() === "") return false;
  // The default zone needs no ICU lookup (its first use costs ~20 ms at start-up).
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms (Berlin in summer: +7_200_000). */
export function zoneOffsetMs(timeZone: string, instantMs: number): number {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  const wholeSecondMs = Math.floor(instantMs / 1000) * 1000;
  const parts = formatterFor(timeZone).formatToParts(new Date(wholeSecondMs));
  const field = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  let year = field("year");
  if (parts.find((p) => p.type === "era")?.value === "BC") year = 1 - year;
  const date = new Date(0);
  date.setUTCFullYear(year, field("month") - 1, field("day"));
  date.setUTCHours(field("hour"), field("minute"), field("second"), 0);
  return date.getTime() - wholeSecondMs;
}

/** The wall-clock time at an instant, as ms since the epoch of a UTC clock showing the same digits. */
export function toWallMs(timeZone: string, instantMs: number): number {
  return instantMs + zoneOffsetMs(timeZone, instantMs);
}

/**
 * Every instant showing this wall-clock time: one normally, two in a fall-back overlap (earlier first),
 * none in a spring-forward gap. Assumes at most one offset change within a day of it (true of real zones).
 */
export function wallToInstants(timeZone: string, wallMs: number): number[] {
  const before = zoneOffsetMs(timeZone, wallMs - DAY_MS);
  const after = zoneOffsetMs(timeZone, wallMs + DAY_MS);
  const found: number[] = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wallMs - offset;
    if (zoneOffsetMs(timeZone, instant) === offset && !found.includes(instant)) found.push(instant);
  }
  return found.sort((a, b) => a - b);
}

/**
 * The instant a wall-clock time denotes: in an overlap the first occurrence; in a gap the time is read
 * with the offset before the change, i.e. moved forward by the gap (02:30 on a spring-forward day → 03:30).
 */
export function wallToInstant(timeZone: string, wallMs: number): number {
  const instants = wallToInstants(timeZone, wallMs);
  if (instants[0] !== undefined) return instants[0];
  return wallMs - zoneOffsetMs(timeZone, wallMs - DAY_MS);
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads "YYYY-MM-DD" (midnight in the zone), "YYYY-MM-DDTHH:mm[:ss[.sss]]" (wall-clock time in the
 * zone) or a full ISO timestamp with `Z` or an offset. Returns epoch ms, or null when the text is not one.
 */
export function parseZonedDateTime(text: string, timeZone: string): number | null {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return null; // 2025-02-30
  const wallMs = date.getTime();
  if (zone === undefined) return wallToInstant(timeZone, wallMs);
  if (zone.toUpperCase() === "Z") return wallMs;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2));
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  return wallMs - sign * (offsetHours * 3_600_000 + offsetMinutes * 60_000);
}
