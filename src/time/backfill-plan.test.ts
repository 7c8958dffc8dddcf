import { describe, expect, it } from "vitest";
import { WeirError } from "../common/errors.js";
import {
  describeBackfillPlan,
  MAX_BACKFILL_INTERVALS,
  planBackfill,
  type BackfillPlanOptions,
  type ExistingRun,
  type ReprocessMode,
} from "./backfill-plan.js";
import { parseLogicalDate } from "./data-interval.js";
import { fireTimesBetween } from "./fire-times.js";
import { parseSchedule, type ParsedSchedule } from "./schedule.js";

const HOUR = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();
const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
const plan = (schedule: ParsedSchedule, over: Partial<BackfillPlanOptions>) =>
  planBackfill(schedule, { fromMs: day("2025-09-01"), toMs: day("2025-09-30"), existing: [], reprocess: "none", ...over });

function errorOf(fn: () => unknown): WeirError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WeirError);
    return error as WeirError;
  }
  throw new Error("expected a WeirError");
}

describe("planBackfill: range", () => {
  const daily = parseSchedule("@daily", "UTC");

  it("covers every logical date in [from, to], both inclusive (Airflow's backfill -s/-e)", () => {
    const items = plan(daily, {});
    expect(items).toHaveLength(30);
    expect(iso(items[0]!.logicalDateMs)).toBe("2025-09-01T00:00:00.000Z");
    expect(iso(items[29]!.logicalDateMs)).toBe("2025-09-30T00:00:00.000Z");
    expect(iso(items[29]!.intervalEndMs)).toBe("2025-10-01T00:00:00.000Z");
    for (const [i, item] of items.entries()) {
      expect(item.intervalStartMs).toBe(item.logicalDateMs);
      if (i > 0) expect(item.intervalStartMs).toBe(items[i - 1]!.intervalEndMs);
      expect(item.action).toBe("create");
      expect(item.existingState).toBeUndefined();
    }
  });

  it("boundaries: an unaligned from starts at the next fire; an unaligned to ends at the last fire ≤ to", () => {
    expect(plan(daily, { fromMs: day("2025-09-01") + 1 })).toHaveLength(29);
    expect(iso(plan(daily, { fromMs: day("2025-09-01") + 1 })[0]!.logicalDateMs)).toBe("2025-09-02T00:00:00.000Z");
    expect(plan(daily, { toMs: day("2025-09-30") + 12 * HOUR })).toHaveLength(30);
    expect(plan(daily, { toMs: day("2025-09-30") - 1 })).toHaveLength(29);
  });

  it("from = to: one interval if it is a fire time, none otherwise", () => {
    expect(plan(daily, { fromMs: day("2025-09-05"), toMs: day("2025-09-05") })).toHaveLength(1);
    expect(plan(daily, { fromMs: day("2025-09-05") + 1, toMs: day("2025-09-05") + 1 })).toEqual([]);
    expect(plan(parseSchedule("@monthly", "UTC"), { fromMs: day("2025-09-02"), toMs: day("2025-09-30") })).toEqual([]);
  });

  it("from > to is backfill_range_invalid", () => {
    const error = errorOf(() => plan(daily, { fromMs: day("2025-09-30"), toMs: day("2025-09-01") }));
    expect(error.code).toBe("backfill_range_invalid");
    expect(error.message).toContain("2025-09-30");
    expect(errorOf(() => plan(daily, { fromMs: Number.NaN })).code).toBe("backfill_range_invalid");
  });

  it("an unknown reprocess mode is backfill_reprocess_invalid", () => {
    expect(errorOf(() => plan(daily, { reprocess: "some" as ReprocessMode })).code).toBe("backfill_reprocess_invalid");
  });

  it.each([
    ["manual", null],
    ["events", { events: ["orders_loaded"] }],
    ["after", { after: ["upstream"] }],
  ] as const)("a %s schedule cannot be backfilled (backfill_unscheduled)", (_name, schedule) => {
    const error = errorOf(() => plan(parseSchedule(schedule, "UTC"), {}));
    expect(error.code).toBe("backfill_unscheduled");
    expect(error.message).toMatch(/needs a schedule/);
  });

  it("events with a cron are backfilled on the cron", () => {
    expect(plan(parseSchedule({ events: ["x"], cron: "@daily" }, "UTC"), {})).toHaveLength(30);
  });

  it(`refuses more than ${MAX_BACKFILL_INTERVALS} intervals (backfill_too_large), accepts exactly that many`, () => {
    const everySecond = parseSchedule("1s", "UTC");
    expect(plan(everySecond, { fromMs: 0, toMs: (MAX_BACKFILL_INTERVALS - 1) * 1000 })).toHaveLength(MAX_BACKFILL_INTERVALS);
    const error = errorOf(() => plan(everySecond, { fromMs: 0, toMs: MAX_BACKFILL_INTERVALS * 1000 }));
    expect(error.code).toBe("backfill_too_large");
    expect(error.message).toMatch(/narrow the range/);
  });

  it("interval schedules keep their anchor", () => {
    const start = Date.parse("2025-09-01T10:07:00Z");
    const items = plan(parseSchedule("15m", "UTC", start), { fromMs: Date.parse("2025-09-01T10:00:00Z"), toMs: Date.parse("2025-09-01T11:07:00Z") });
    expect(items.map((i) => iso(i.logicalDateMs).slice(11, 16))).toEqual(["10:07", "10:22", "10:37", "10:52", "11:07"]);
  });

  it("a year of @daily in Europe/Berlin: 365 intervals, 23h and 25h on the DST days, no gaps or duplicates", () => {
    const schedule = parseSchedule("@daily", "Europe/Berlin");
    const fromMs = parseLogicalDate("2025-01-01", "Europe/Berlin");
    const toMs = parseLogicalDate("2025-12-31", "Europe/Berlin");
    const existing: ExistingRun[] = fireTimesBetween(schedule, fromMs, toMs).map((d, i) => ({ logicalDateMs: d, state: i % 3 === 0 ? "success" : "failed" }));
    const items = planBackfill(schedule, { fromMs, toMs, existing, reprocess: "failed" });
    expect(items).toHaveLength(365);
    expect(items.filter((i) => i.action === "skip_success")).toHaveLength(122);
    expect(items.filter((i) => i.action === "rerun_failed")).toHaveLength(243);
    const hours = (d: string) => {
      const item = items.find((i) => i.logicalDateMs === parseLogicalDate(d, "Europe/Berlin"))!;
      return (item.intervalEndMs - item.intervalStartMs) / HOUR;
    };
    expect([hours("2025-03-30"), hours("2025-10-26"), hours("2025-07-01")]).toEqual([23, 25, 24]);
    for (let i = 1; i < items.length; i++) expect(items[i]!.intervalStartMs).toBe(items[i - 1]!.intervalEndMs);
  });

  it("@hourly across New York's fall back: 25 intervals that day", () => {
    const schedule = parseSchedule("@hourly", "America/New_York");
    const fromMs = parseLogicalDate("2025-11-02", "America/New_York");
    const toMs = parseLogicalDate("2025-11-03", "America/New_York") - 1;
    const items = planBackfill(schedule, { fromMs, toMs, existing: [], reprocess: "none" });
    expect(items).toHaveLength(25);
    expect(new Set(items.map((i) => i.logicalDateMs)).size).toBe(25);
    expect(items.every((i) => i.intervalEndMs - i.intervalStartMs === HOUR)).toBe(true);
  });
});

describe("planBackfill: reprocess modes", () => {
  const daily = parseSchedule("@daily", "UTC");
  const d = (n: number) => day(`2025-09-${String(n).padStart(2, "0")}`);
  // Day 1 success, 2 failed, 3 canceled, 4 queued, 5 running, 6 none, 7 failed + success (a manual rerun
  // succeeded), 8 success + running, 9 canceled + failed; plus a run outside the range and one between fires.
  const existing: ExistingRun[] = [
    { logicalDateMs: d(1), state: "success" },
    { logicalDateMs: d(2), state: "failed" },
    { logicalDateMs: d(3), state: "canceled" },
    { logicalDateMs: d(4), state: "queued" },
    { logicalDateMs: d(5), state: "running" },
    { logicalDateMs: d(7), state: "failed" },
    { logicalDateMs: d(7), state: "success" },
    { logicalDateMs: d(8), state: "success" },
    { logicalDateMs: d(8), state: "running" },
    { logicalDateMs: d(9), state: "canceled" },
    { logicalDateMs: d(9), state: "failed" },
    { logicalDateMs: d(20), state: "failed" },
    { logicalDateMs: d(6) + 5 * HOUR, state: "success" },
  ];
  const actions = (reprocess: ReprocessMode) =>
    plan(daily, { fromMs: d(1), toMs: d(9), existing, reprocess }).map((i) => [i.action, i.existingState ?? null]);

  it("none: skip successes, leave failed ones alone, create the missing, never touch running", () => {
    expect(actions("none")).toEqual([
      ["skip_success", "success"],
      ["skip_failed", "failed"],
      ["skip_failed", "canceled"],
      ["skip_running", "queued"],
      ["skip_running", "running"],
      ["create", null],
      ["skip_success", "success"],
      ["skip_running", "running"],
      ["skip_failed", "canceled"],
    ]);
  });

  it("failed: rerun failed and canceled, skip successes, create the missing", () => {
    expect(actions("failed")).toEqual([
      ["skip_success", "success"],
      ["rerun_failed", "failed"],
      ["rerun_failed", "canceled"],
      ["skip_running", "queued"],
      ["skip_running", "running"],
      ["create", null],
      ["skip_success", "success"],
      ["skip_running", "running"],
      ["rerun_failed", "canceled"],
    ]);
  });

  it("all: rerun every finished run, create the missing, still never touch running", () => {
    expect(actions("all")).toEqual([
      ["rerun", "success"],
      ["rerun", "failed"],
      ["rerun", "canceled"],
      ["skip_running", "queued"],
      ["skip_running", "running"],
      ["create", null],
      ["rerun", "success"],
      ["skip_running", "running"],
      ["rerun", "canceled"],
    ]);
  });

  it("an unknown existing state is an internal error, not a silent create", () => {
    const bad = [{ logicalDateMs: d(1), state: "paused" }] as unknown as ExistingRun[];
    expect(errorOf(() => plan(daily, { existing: bad })).code).toBe("run_state_invalid");
  });
});

describe("describeBackfillPlan", () => {
  it("prints dates alone for midnight boundaries, with the existing state and a summary", () => {
    const schedule = parseSchedule("@daily", "Europe/Berlin");
    const at = (d: string) => parseLogicalDate(d, "Europe/Berlin");
    const items = planBackfill(schedule, {
      fromMs: at("2025-09-01"),
      toMs: at("2025-09-03"),
      existing: [{ logicalDateMs: at("2025-09-02"), state: "failed" }],
      reprocess: "failed",
    });
    expect(describeBackfillPlan(items, "Europe/Berlin")).toEqual([
      "2025-09-01 → 2025-09-02  create",
      "2025-09-02 → 2025-09-03  rerun_failed (existing run: failed)",
      "2025-09-03 → 2025-09-04  create",
      "3 intervals: 2 create, 1 rerun_failed",
    ]);
  });

  it("prints wall-clock times for other boundaries, with the offset when it changes within the plan", () => {
    const schedule = parseSchedule("@hourly", "Europe/Berlin");
    const items = planBackfill(schedule, {
      fromMs: Date.parse("2025-10-26T00:00:00Z"),
      toMs: Date.parse("2025-10-26T01:00:00Z"),
      existing: [],
      reprocess: "none",
    });
    expect(describeBackfillPlan(items, "Europe/Berlin")).toEqual([
      "2025-10-26 02:00+02:00 → 2025-10-26 02:00+01:00  create",
      "2025-10-26 02:00+01:00 → 2025-10-26 03:00+01:00  create",
      "2 intervals: 2 create",
    ]);
    const utcItems = planBackfill(parseSchedule("30 6 * * *", "UTC"), { fromMs: day("2025-09-01"), toMs: day("2025-09-01") + 12 * HOUR, existing: [], reprocess: "none" });
    expect(describeBackfillPlan(utcItems, "UTC")).toEqual(["2025-09-01 06:30 → 2025-09-02 06:30  create", "1 interval: 1 create"]);
    const seconds = planBackfill(parseSchedule("90s", "UTC"), { fromMs: 0, toMs: 90_000, existing: [], reprocess: "none" });
    expect(describeBackfillPlan(seconds, "UTC")[1]).toBe("1970-01-01 00:01:30 → 1970-01-01 00:03:00  create");
  });

  it("says so when there is nothing in range", () => {
    expect(describeBackfillPlan([], "UTC")).toEqual(["no intervals in range: nothing to do"]);
  });
});
