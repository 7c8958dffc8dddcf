import { describe, expect, it } from "vitest";
import { fireTimesBetween, nextFireAfter, previousFireAtOrBefore } from "./fire-times.js";
import { parseSchedule } from "./schedule.js";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const fires = (schedule: string, timezone: string, from: string, to: string) =>
  fireTimesBetween(parseSchedule(schedule, timezone), Date.parse(from), Date.parse(to)).map(iso);

describe("cron fire times across DST", () => {
  it("a daily 02:30 in Europe/Berlin fires once on the spring-forward day, an hour later", () => {
    expect(fires("30 2 * * *", "Europe/Berlin", "2025-03-28T00:00:00Z", "2025-04-01T00:00:00Z")).toEqual([
      "2025-03-28T01:30:00.000Z", // 02:30 CET
      "2025-03-29T01:30:00.000Z",
      "2025-03-30T01:30:00.000Z", // 02:30 does not exist: 03:30 CEST
      "2025-03-31T00:30:00.000Z", // 02:30 CEST
    ]);
  });

  it("a daily 02:30 in Europe/Berlin fires once on the fall-back day, at the first 02:30", () => {
    expect(fires("30 2 * * *", "Europe/Berlin", "2025-10-25T00:00:00Z", "2025-10-28T00:00:00Z")).toEqual([
      "2025-10-25T00:30:00.000Z",
      "2025-10-26T00:30:00.000Z", // 02:30 CEST; not again at 02:30 CET
      "2025-10-27T01:30:00.000Z",
    ]);
  });

  it("a daily 02:30 in America/New_York neither skips nor duplicates across spring forward", () => {
    expect(fires("30 2 * * *", "America/New_York", "2025-03-08T00:00:00Z", "2025-03-11T00:00:00Z")).toEqual([
      "2025-03-08T07:30:00.000Z",
      "2025-03-09T07:30:00.000Z", // 03:30 EDT
      "2025-03-10T06:30:00.000Z",
    ]);
  });

  it("hourly fires every real hour across fall back (25 runs that day)", () => {
    expect(fires("@hourly", "Europe/Berlin", "2025-10-25T23:00:00Z", "2025-10-26T03:00:00Z")).toEqual([
      "2025-10-25T23:00:00.000Z", // 01:00 CEST
      "2025-10-26T00:00:00.000Z", // 02:00 CEST
      "2025-10-26T01:00:00.000Z", // 02:00 CET
      "2025-10-26T02:00:00.000Z", // 03:00 CET
      "2025-10-26T03:00:00.000Z",
    ]);
    const day = fires("@hourly", "America/New_York", "2025-11-02T04:00:00Z", "2025-11-03T04:59:59Z");
    expect(day).toHaveLength(25);
    expect(new Set(day).size).toBe(25);
  });

  it("hourly fires every real hour across spring forward (23 runs that day), none twice", () => {
    const day = fires("@hourly", "Europe/Berlin", "2025-03-29T23:00:00Z", "2025-03-30T21:59:59Z");
    expect(day).toHaveLength(23);
    expect(new Set(day).size).toBe(23);
  });

  it("every 30 minutes keeps a 30-minute spacing across fall back", () => {
    const times = fireTimesBetween(parseSchedule("*/30 * * * *", "America/New_York"), Date.parse("2025-11-02T04:00:00Z"), Date.parse("2025-11-02T08:00:00Z"));
    expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual(Array(8).fill(1_800_000));
  });

  it("@daily in New York is local midnight on both sides of fall back", () => {
    expect(fires("@daily", "America/New_York", "2025-11-01T00:00:00Z", "2025-11-04T00:00:00Z")).toEqual([
      "2025-11-01T04:00:00.000Z",
      "2025-11-02T04:00:00.000Z",
      "2025-11-03T05:00:00.000Z",
    ]);
  });
});

describe("presets and plain cron", () => {
  it.each([
    ["@hourly", "2025-09-01T10:20:00Z", "2025-09-01T11:00:00.000Z"],
    ["@daily", "2025-09-01T10:20:00Z", "2025-09-02T00:00:00.000Z"],
    ["@weekly", "2025-09-01T10:20:00Z", "2025-09-07T00:00:00.000Z"], // Sunday
    ["@monthly", "2025-09-01T10:20:00Z", "2025-10-01T00:00:00.000Z"],
    ["@yearly", "2025-09-01T10:20:00Z", "2026-01-01T00:00:00.000Z"],
    ["0 2 * * *", "2025-09-01T02:00:00Z", "2025-09-02T02:00:00.000Z"], // strictly after
    ["0 0 29 2 *", "2025-01-01T00:00:00Z", "2028-02-29T00:00:00.000Z"],
  ])("%s after %s is %s", (schedule, after, expected) => {
    expect(iso(nextFireAfter(parseSchedule(schedule, "UTC"), Date.parse(after)))).toBe(expected);
  });

  it("previous fire is at or before the instant", () => {
    const daily = parseSchedule("@daily", "UTC");
    expect(iso(previousFireAtOrBefore(daily, Date.parse("2025-09-01T00:00:00Z")))).toBe("2025-09-01T00:00:00.000Z");
    expect(iso(previousFireAtOrBefore(daily, Date.parse("2025-09-01T00:00:00Z") - 1))).toBe("2025-08-31T00:00:00.000Z");
    expect(iso(previousFireAtOrBefore(parseSchedule("0 0 29 2 *", "UTC"), Date.parse("2027-01-01")))).toBe("2024-02-29T00:00:00.000Z");
  });

  it("reads the cron in the pipeline's time zone", () => {
    expect(iso(nextFireAfter(parseSchedule("@yearly", "Asia/Tokyo"), Date.parse("2025-06-01T00:00:00Z")))).toBe("2025-12-31T15:00:00.000Z");
  });

  it("next and previous agree everywhere, including around transitions", () => {
    const cases: [string, string][] = [
      ["30 2 * * *", "Europe/Berlin"],
      ["@hourly", "Europe/Berlin"],
      ["*/20 * * * *", "America/New_York"],
      ["15 1 * * 0", "America/New_York"],
      ["0 */2 * * *", "Australia/Lord_Howe"],
    ];
    for (const [expression, timezone] of cases) {
      const schedule = parseSchedule(expression, timezone);
      for (const from of ["2025-03-08T00:00:00Z", "2025-03-29T18:00:00Z", "2025-10-25T18:00:00Z", "2025-11-01T18:00:00Z", "2025-04-05T10:00:00Z"]) {
        const times = fireTimesBetween(schedule, Date.parse(from), Date.parse(from) + 2 * 86_400_000);
        for (const [i, t] of times.entries()) {
          expect(previousFireAtOrBefore(schedule, t)).toBe(t);
          if (i > 0) expect(previousFireAtOrBefore(schedule, t - 1)).toBe(times[i - 1]);
          expect(nextFireAfter(schedule, t)).toBe(times[i + 1] ?? nextFireAfter(schedule, t));
        }
        expect(times.every((t, i) => i === 0 || t > (times[i - 1] as number))).toBe(true);
      }
    }
  });
});

describe("interval schedules", () => {
  it("fire at the anchor plus whole intervals, DST-blind", () => {
    const anchor = Date.parse("2025-09-01T00:05:00Z");
    const every15 = parseSchedule("15m", "Europe/Berlin", anchor);
    expect(every15).toEqual({ kind: "interval", everyMs: 900_000, anchorMs: anchor });
    expect(iso(nextFireAfter(every15, Date.parse("2025-09-01T00:05:00Z")))).toBe("2025-09-01T00:20:00.000Z");
    expect(iso(nextFireAfter(every15, Date.parse("2025-09-01T01:00:00Z")))).toBe("2025-09-01T01:05:00.000Z");
    expect(iso(previousFireAtOrBefore(every15, Date.parse("2025-09-01T01:00:00Z")))).toBe("2025-09-01T00:50:00.000Z");
    const day = parseSchedule("1d", "Europe/Berlin");
    expect(iso(nextFireAfter(day, Date.parse("2025-10-26T12:00:00Z")))).toBe("2025-10-27T00:00:00.000Z");
  });
});

describe("schedules that do not fire by themselves", () => {
  it.each([null, { events: ["orders_arrived"] }, { after: ["etl_daily"] }])("%j has no fire times", (schedule) => {
    const parsed = parseSchedule(schedule, "UTC");
    expect(nextFireAfter(parsed, 0)).toBeNull();
    expect(previousFireAtOrBefore(parsed, Date.now())).toBeNull();
  });

  it("events with a cron fire by the cron", () => {
    const parsed = parseSchedule({ events: ["x"], cron: "@daily" }, "UTC");
    expect(iso(nextFireAfter(parsed, Date.parse("2025-09-01T10:00:00Z")))).toBe("2025-09-02T00:00:00.000Z");
  });
});
