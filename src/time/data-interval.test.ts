import { describe, expect, it } from "vitest";
import { WeirError } from "../common/errors.js";
import { dataIntervalFor, latestCompleteInterval, parseLogicalDate } from "./data-interval.js";
import { parseSchedule } from "./schedule.js";

const iso = (t: number) => new Date(t).toISOString();
const isoInterval = (i: { startMs: number; endMs: number } | null) => (i === null ? null : [iso(i.startMs), iso(i.endMs)]);

describe("parseLogicalDate", () => {
  it.each([
    ["2025-09-03", "UTC", "2025-09-03T00:00:00.000Z"],
    ["2025-09-03", "Europe/Berlin", "2025-09-02T22:00:00.000Z"],
    ["2025-01-03", "America/New_York", "2025-01-03T05:00:00.000Z"],
    ["2025-09-03T10:30", "Europe/Berlin", "2025-09-03T08:30:00.000Z"],
    ["2025-09-03T10:30:15", "UTC", "2025-09-03T10:30:15.000Z"],
    ["2025-09-03 10:30", "UTC", "2025-09-03T10:30:00.000Z"],
    ["2025-09-03T10:30:00Z", "Europe/Berlin", "2025-09-03T10:30:00.000Z"],
    ["2025-09-03T10:30:00.250+02:00", "UTC", "2025-09-03T08:30:00.250Z"],
    ["2025-03-30T02:30", "Europe/Berlin", "2025-03-30T01:30:00.000Z"], // in the gap: moved forward
    ["2025-10-26T02:30", "Europe/Berlin", "2025-10-26T00:30:00.000Z"], // repeated: the first one
  ])("%s in %s is %s", (text, timezone, expected) => {
    expect(iso(parseLogicalDate(text, timezone))).toBe(expected);
  });

  it.each(["2025-02-30", "2025-13-01", "yesterday", "2025-09-03T24:00", "09/03/2025", "", "2025-09-03T10:30+25:00"])("rejects %j", (text) => {
    let error: unknown;
    try {
      parseLogicalDate(text, "UTC");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeirError);
    expect((error as WeirError).code).toBe("logical_date_invalid");
    expect((error as WeirError).message).toContain(JSON.stringify(text));
  });

  it("rejects a bad time zone", () => {
    expect(() => parseLogicalDate("2025-09-03", "Not/A_Zone")).toThrow(/timezone/);
  });
});

describe("dataIntervalFor", () => {
  it("covers [D, next fire) for cron schedules", () => {
    const daily = parseSchedule("@daily", "UTC");
    expect(isoInterval(dataIntervalFor(daily, Date.parse("2025-09-01T00:00:00Z")))).toEqual(["2025-09-01T00:00:00.000Z", "2025-09-02T00:00:00.000Z"]);
    // Not on a boundary: D as given, up to the next fire.
    expect(isoInterval(dataIntervalFor(daily, Date.parse("2025-09-01T10:30:00Z")))).toEqual(["2025-09-01T10:30:00.000Z", "2025-09-02T00:00:00.000Z"]);
  });

  it("is 23 hours on the spring-forward day of a local daily schedule", () => {
    const daily = parseSchedule("@daily", "Europe/Berlin");
    const d = parseLogicalDate("2025-03-30", "Europe/Berlin");
    const interval = dataIntervalFor(daily, d);
    expect(interval.endMs - interval.startMs).toBe(23 * 3_600_000);
    expect(iso(interval.endMs)).toBe(iso(parseLogicalDate("2025-03-31", "Europe/Berlin")));
  });

  it("covers [D, D + every) for intervals and [D, D] for manual runs", () => {
    expect(dataIntervalFor(parseSchedule("15m", "UTC"), 900_000)).toEqual({ startMs: 900_000, endMs: 1_800_000 });
    expect(dataIntervalFor(parseSchedule(null, "UTC"), 1234)).toEqual({ startMs: 1234, endMs: 1234 });
    expect(dataIntervalFor(parseSchedule({ after: ["a"] }, "UTC"), 1234)).toEqual({ startMs: 1234, endMs: 1234 });
  });
});

describe("latestCompleteInterval", () => {
  it("is the interval that ended at the last fire time at or before now", () => {
    const daily = parseSchedule("@daily", "UTC");
    expect(isoInterval(latestCompleteInterval(daily, Date.parse("2025-09-03T10:00:00Z")))).toEqual(["2025-09-02T00:00:00.000Z", "2025-09-03T00:00:00.000Z"]);
    expect(isoInterval(latestCompleteInterval(daily, Date.parse("2025-09-03T00:00:00Z")))).toEqual(["2025-09-02T00:00:00.000Z", "2025-09-03T00:00:00.000Z"]);
    expect(isoInterval(latestCompleteInterval(daily, Date.parse("2025-09-03T00:00:00Z") - 1))).toEqual(["2025-09-01T00:00:00.000Z", "2025-09-02T00:00:00.000Z"]);
  });

  it("follows the time zone", () => {
    const daily = parseSchedule("@daily", "America/New_York");
    expect(isoInterval(latestCompleteInterval(daily, Date.parse("2025-11-03T12:00:00Z")))).toEqual(["2025-11-02T04:00:00.000Z", "2025-11-03T05:00:00.000Z"]);
  });

  it("is null for schedules that do not fire by themselves", () => {
    expect(latestCompleteInterval(parseSchedule(null, "UTC"), Date.now())).toBeNull();
    expect(latestCompleteInterval(parseSchedule({ events: ["e"] }, "UTC"), Date.now())).toBeNull();
  });

  it("works for intervals", () => {
    expect(latestCompleteInterval(parseSchedule("1h", "UTC"), 3 * 3_600_000 + 5)).toEqual({ startMs: 2 * 3_600_000, endMs: 3 * 3_600_000 });
  });
});
