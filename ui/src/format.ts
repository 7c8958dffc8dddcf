// Dates and durations as people read them. Times from the API are ISO strings in UTC; the UI shows them in
// the browser's zone with the zone named, and exact UTC in the tooltip.
const dateTime = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateOnly = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "2-digit" });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? dateOnly.format(new Date(iso)) : "—";
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? timeOnly.format(new Date(iso)) : "—";
}

/** A logical date: the UTC day when it is midnight UTC (the usual daily interval), else the full time. */
export function formatLogicalDate(iso: string): string {
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace("T", " ").replace(/\.000Z$/, "Z");
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function durationBetween(start: string | null, end: string | null, now = Date.now()): number | null {
  if (!start) return null;
  // `now` is the last tick of a ticker: never let it lag behind a start the page has just heard of.
  return (end ? Date.parse(end) : Math.max(now, Date.now())) - Date.parse(start);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
export function formatRelative(iso: string | null, now = Date.now()): string {
  if (!iso) return "—";
  const diffS = (Date.parse(iso) - now) / 1000;
  const abs = Math.abs(diffS);
  if (abs < 60) return relative.format(Math.round(diffS), "second");
  if (abs < 3600) return relative.format(Math.round(diffS / 60), "minute");
  if (abs < 86_400 * 2) return relative.format(Math.round(diffS / 3600), "hour");
  return relative.format(Math.round(diffS / 86_400), "day");
}

/**
 * The schedule as written when it is an expression worth showing beside its words ("@daily", "0 2 * * *"),
 * null for an event or pipeline-completion schedule, which the API gives as JSON and its words say in full.
 */
export function scheduleExpression(schedule: string | null): string | null {
  return schedule === null || schedule.startsWith("{") ? null : schedule;
}
