// Durations in the authoring API: "500ms", "10s", "5m", "2h", "1d", "1h30m", or a number of milliseconds.
// They live here, not in time/, because the graph compiler (which time/ builds on) converts them to ms.
import { WeirError } from "../common/errors.js";

/** A duration: `"500ms" | "10s" | "5m" | "2h" | "1d" | "1h30m"` or milliseconds as a number. */
export type Duration = string | number;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

export class DurationInvalidError extends WeirError {
  constructor(value: unknown, what: string) {
    super("duration_invalid", `${what}: ${JSON.stringify(value)} is not a duration (use e.g. "500ms", "10s", "5m", "2h", "1d" or milliseconds)`);
  }
}

/** Parses a duration to milliseconds; `what` names the option for the error message. */
export function parseDuration(value: Duration, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new DurationInvalidError(value, what);
    return Math.round(value);
  }
  if (typeof value !== "string") throw new DurationInvalidError(value, what);
  const text = value.trim();
  if (text === "") throw new DurationInvalidError(value, what);
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed = PART.lastIndex;
  }
  if (consumed !== text.length) throw new DurationInvalidError(value, what);
  return Math.round(total);
}

/** Formats milliseconds for people: 850ms, 12.3s, 4m 05s, 2h 10m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalS = Math.round(ms / 1000);
  if (ms < 3_600_000) return `${Math.floor(totalS / 60)}m ${String(totalS % 60).padStart(2, "0")}s`;
  const totalM = Math.round(ms / 60_000);
  return `${Math.floor(totalM / 60)}h ${String(totalM % 60).padStart(2, "0")}m`;
}
