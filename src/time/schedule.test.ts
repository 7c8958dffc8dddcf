import { describe, expect, it } from "vitest";
import { WeirError } from "../common/errors.js";
import { parseGraphSchedule, parseSchedule, validateSchedule } from "./schedule.js";

function errorOf(fn: () => unknown): WeirError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WeirError) return error;
    throw error;
  }
  throw new Error("expected a WeirError");
}

describe("parseSchedule", () => {
  it("expands presets and reads cron in the time zone", () => {
    expect(parseSchedule("@daily", "Europe/Berlin")).toEqual({ kind: "cron", expression: "0 0 * * *", timezone: "Europe/Berlin" });
    expect(parseSchedule("@hourly", "UTC")).toMatchObject({ expression: "0 * * * *" });
    expect(parseSchedule("@weekly", "UTC")).toMatchObject({ expression: "0 0 * * 0" });
    expect(parseSchedule("@monthly", "UTC")).toMatchObject({ expression: "0 0 1 * *" });
    expect(parseSchedule("@yearly", "UTC")).toMatchObject({ expression: "0 0 1 1 *" });
    expect(parseSchedule("  0  2 * * *  ", "UTC")).toEqual({ kind: "cron", expression: "0 2 * * *", timezone: "UTC" });
  });

  it("reads duration strings as intervals", () => {
    expect(parseSchedule("15m", "UTC")).toEqual({ kind: "interval", everyMs: 900_000, anchorMs: 0 });
    expect(parseSchedule("1h30m", "UTC", 5)).toEqual({ kind: "interval", everyMs: 5_400_000, anchorMs: 5 });
  });

  it("reads manual, events and after schedules", () => {
    expect(parseSchedule(null, "UTC")).toEqual({ kind: "manual" });
    expect(parseSchedule(undefined, "UTC")).toEqual({ kind: "manual" });
    expect(parseSchedule({ events: ["a", "b"] }, "UTC")).toEqual({ kind: "events", events: ["a", "b"], batch: { mode: "each" }, cron: null });
    expect(parseSchedule({ events: ["a"], cron: "@daily" }, "UTC")).toMatchObject({ cron: { kind: "cron", expression: "0 0 * * *" } });
    expect(parseSchedule({ after: ["etl_daily"] }, "UTC")).toEqual({ kind: "after", pipelines: ["etl_daily"], cron: null });
    expect(parseSchedule({ after: ["etl_daily"], cron: "@hourly" }, "UTC")).toMatchObject({ kind: "after", cron: { expression: "0 * * * *" } });
  });

  it("reads the batching policy of an event schedule", () => {
    expect(parseSchedule({ events: ["a"], batch: "each" }, "UTC")).toMatchObject({ batch: { mode: "each" } });
    expect(parseSchedule({ events: ["a"], batch: "latest" }, "UTC")).toMatchObject({ batch: { mode: "latest" } });
    expect(parseSchedule({ events: ["a"], batch: { max: 50, window: "5m" } }, "UTC")).toMatchObject({ batch: { mode: "batch", max: 50, windowMs: 300_000 } });
  });

  it.each([
    [{ events: ["a"], batch: "all" }, 'batch is "each" (default), "latest" or { max: N, window: "5m" }'],
    [{ events: ["a"], batch: { max: 0, window: "5m" } }, "batch.max must be an integer"],
    [{ events: ["a"], batch: { max: 5, window: "soon" } }, "batch.window"],
    [{ events: ["a"], batch: { max: 5, window: "5m", size: 1 } }, "not size"],
    [{ events: ["bad name"] }, "invalid entry"],
    [{ after: ["x"], events: ["a"] }, "an object schedule is"],
  ])("rejects the object schedule %j (%s)", (schedule, why) => {
    const error = errorOf(() => parseSchedule(schedule as Parameters<typeof parseSchedule>[0], "UTC"));
    expect(error.code).toBe("schedule_invalid");
    expect(error.message).toContain(why);
  });

  it.each([
    ["daily", "neither a cron expression nor an interval"],
    ["@once", "unknown preset"],
    ["@reboot", "unknown preset"],
    ["61 * * * *", "minute"],
    ["* * * *", "5 fields"],
    ["0 0 2 * * *", "5 fields"],
    ["0 0 31 2 *", "never fires"],
    ["0s", "at least 1s"],
    ["", "empty"],
  ])("rejects %j (%s)", (schedule, why) => {
    const error = errorOf(() => parseSchedule(schedule, "UTC"));
    expect(error.code).toBe("schedule_invalid");
    expect(error.message).toContain(JSON.stringify(schedule));
    expect(error.message).toContain(why);
  });

  it.each([[42], [["@daily"]], [{ events: [] }], [{ after: ["bad id!"] }], [{ events: ["a"], cron: "nope" }], [{ cron: "@daily" }]])(
    "rejects the schedule %j",
    (schedule) => {
      expect(errorOf(() => parseSchedule(schedule as never, "UTC")).code).toBe("schedule_invalid");
    },
  );

  it("rejects an unknown time zone", () => {
    const error = errorOf(() => parseSchedule("@daily", "Mars/Olympus_Mons"));
    expect(error.code).toBe("timezone_invalid");
    expect(error.message).toContain("Mars/Olympus_Mons");
  });

  it("anchors a graph's interval at its start", () => {
    expect(parseGraphSchedule({ schedule: "1h", timezone: "UTC", start: "2025-09-01T00:30:00.000Z" })).toEqual({
      kind: "interval",
      everyMs: 3_600_000,
      anchorMs: Date.parse("2025-09-01T00:30:00.000Z"),
    });
  });
});

describe("validateSchedule", () => {
  it("returns null for a good schedule and the message for a bad one", () => {
    expect(validateSchedule("0 2 * * *", "America/New_York")).toBeNull();
    expect(validateSchedule(null, "UTC")).toBeNull();
    expect(validateSchedule("0 25 * * *", "UTC")).toMatch(/^schedule "0 25 \* \* \*" is not valid: .*hour/);
    expect(validateSchedule("@daily", "Nowhere/Land")).toMatch(/timezone "Nowhere\/Land"/);
  });
});
