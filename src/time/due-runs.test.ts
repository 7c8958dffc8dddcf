import { describe, expect, it } from "vitest";
import { WeirError } from "../common/errors.js";
import { parseLogicalDate } from "./data-interval.js";
import { dueRuns, nextWakeMs, type DueRun, type DueRunsOptions } from "./due-runs.js";
import { fireTimesBetween, nextFireAfter } from "./fire-times.js";
import { parseSchedule, type ParsedSchedule } from "./schedule.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const utc = (text: string) => Date.parse(text.endsWith("Z") ? text : `${text}Z`);
const dates = (runs: DueRun[]) => runs.map((r) => iso(r.logicalDateMs));
const base = (over: Partial<DueRunsOptions>): DueRunsOptions => ({
  startMs: null,
  endMs: null,
  catchup: true,
  lastLogicalDateMs: null,
  nowMs: 0,
  ...over,
});

/**
 * Runs a scheduler against simulated time: now advances by `steps(now)` from `fromMs` to `toMs`; at each
 * step it creates every due run (calling again while a call returns `limit` runs) and feeds the last
 * logical date back. Returns every logical date created, in creation order.
 */
function simulate(schedule: ParsedSchedule, options: Omit<DueRunsOptions, "nowMs" | "lastLogicalDateMs">, fromMs: number, toMs: number, step: (now: number) => number): number[] {
  const created: number[] = [];
  let last: number | null = null;
  for (let now = fromMs; now <= toMs; now += step(now)) {
    for (;;) {
      const runs = dueRuns(schedule, { ...options, lastLogicalDateMs: last, nowMs: now });
      for (const run of runs) {
        expect(run.intervalEndMs).toBeLessThanOrEqual(now);
        expect(run.intervalEndMs).toBe(nextFireAfter(schedule, run.logicalDateMs));
        created.push(run.logicalDateMs);
        last = run.logicalDateMs;
      }
      if (runs.length < (options.limit ?? 1000)) break;
    }
  }
  return created;
}

function expectStrictlyIncreasing(times: number[]): void {
  for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
}

describe("dueRuns: catchup on", () => {
  const daily = parseSchedule("@daily", "UTC");
  const start = utc("2025-09-01T00:00:00");

  it("creates every ended interval since start, oldest first, each covering [D, next(D))", () => {
    const runs = dueRuns(daily, base({ startMs: start, nowMs: utc("2025-09-05T00:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-01", "2025-09-02", "2025-09-03", "2025-09-04"].map((d) => `${d}T00:00:00.000Z`));
    for (const run of runs) {
      expect(run.intervalStartMs).toBe(run.logicalDateMs);
      expect(run.intervalEndMs - run.intervalStartMs).toBe(DAY);
    }
  });

  it("an interval is due exactly when it ends, not a millisecond before", () => {
    const end = utc("2025-09-02T00:00:00");
    expect(dueRuns(daily, base({ startMs: start, nowMs: end - 1 }))).toEqual([]);
    expect(dates(dueRuns(daily, base({ startMs: start, nowMs: end })))).toEqual(["2025-09-01T00:00:00.000Z"]);
  });

  it("continues after lastLogicalDate", () => {
    const runs = dueRuns(daily, base({ startMs: start, lastLogicalDateMs: utc("2025-09-02T00:00:00"), nowMs: utc("2025-09-05T06:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-03T00:00:00.000Z", "2025-09-04T00:00:00.000Z"]);
    expect(dueRuns(daily, base({ startMs: start, lastLogicalDateMs: utc("2025-09-04T00:00:00"), nowMs: utc("2025-09-05T06:00:00") }))).toEqual([]);
  });

  it("caps at limit (default 1000); the caller calls again with the new lastLogicalDate", () => {
    const now = utc("2028-01-01T00:00:00"); // ~850 days after start
    const hourly = parseSchedule("@hourly", "UTC");
    const first = dueRuns(hourly, base({ startMs: start, nowMs: now }));
    expect(first).toHaveLength(1000);
    expect(iso(first[0]!.logicalDateMs)).toBe("2025-09-01T00:00:00.000Z");
    const second = dueRuns(hourly, base({ startMs: start, nowMs: now, lastLogicalDateMs: first[999]!.logicalDateMs, limit: 10 }));
    expect(second).toHaveLength(10);
    expect(second[0]!.logicalDateMs).toBe(first[999]!.intervalEndMs);
    expect(dueRuns(daily, base({ startMs: start, nowMs: now })).length).toBe(122 + 365 + 365); // 2025-09-01 … 2027-12-31
  });

  it("rejects a limit that is not a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(() => dueRuns(daily, base({ startMs: start, nowMs: start, limit }))).toThrow(WeirError);
    }
  });

  it("a lastLogicalDate before start (start moved later) still respects start", () => {
    const runs = dueRuns(daily, base({ startMs: start, lastLogicalDateMs: utc("2025-08-01T00:00:00"), nowMs: utc("2025-09-03T00:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-01T00:00:00.000Z", "2025-09-02T00:00:00.000Z"]);
  });

  it("a lastLogicalDate that is not a fire time (the schedule changed) continues at the next fire", () => {
    const runs = dueRuns(daily, base({ startMs: start, lastLogicalDateMs: utc("2025-09-02T13:00:00"), nowMs: utc("2025-09-05T00:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-03T00:00:00.000Z", "2025-09-04T00:00:00.000Z"]);
  });

  it("without start and without any run there is nothing to catch up from: only the latest interval", () => {
    const runs = dueRuns(daily, base({ nowMs: utc("2025-09-05T06:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-04T00:00:00.000Z"]);
  });
});

describe("dueRuns: catchup off", () => {
  const daily = parseSchedule("@daily", "UTC");
  const start = utc("2025-09-01T00:00:00");
  const off = (over: Partial<DueRunsOptions>) => base({ catchup: false, startMs: start, ...over });

  it("creates only the latest complete interval", () => {
    expect(dates(dueRuns(daily, off({ nowMs: utc("2025-09-10T05:00:00") })))).toEqual(["2025-09-09T00:00:00.000Z"]);
    expect(dates(dueRuns(daily, off({ nowMs: utc("2025-09-10T05:00:00"), lastLogicalDateMs: utc("2025-09-03T00:00:00") })))).toEqual([
      "2025-09-09T00:00:00.000Z",
    ]);
  });

  it("only if it is after lastLogicalDate", () => {
    expect(dueRuns(daily, off({ nowMs: utc("2025-09-10T05:00:00"), lastLogicalDateMs: utc("2025-09-09T00:00:00") }))).toEqual([]);
  });

  it("only if it is at or after start", () => {
    expect(dueRuns(daily, off({ startMs: utc("2025-09-20T00:00:00"), nowMs: utc("2025-09-10T05:00:00") }))).toEqual([]);
    expect(dueRuns(daily, off({ startMs: utc("2025-09-09T00:00:01"), nowMs: utc("2025-09-10T05:00:00") }))).toEqual([]);
    expect(dates(dueRuns(daily, off({ startMs: utc("2025-09-09T00:00:00"), nowMs: utc("2025-09-10T05:00:00") })))).toEqual(["2025-09-09T00:00:00.000Z"]);
  });

  it("finds the latest interval after a long outage (backward search, not a walk)", () => {
    const minutely = parseSchedule("* * * * *", "UTC");
    const runs = dueRuns(minutely, off({ lastLogicalDateMs: start, nowMs: utc("2026-09-01T00:00:30") }));
    expect(dates(runs)).toEqual(["2026-08-31T23:59:00.000Z"]);
  });
});

describe("dueRuns: start and end boundaries", () => {
  const daily = parseSchedule("@daily", "UTC");
  const start = utc("2025-09-01T00:00:00");
  const end = utc("2025-09-03T00:00:00");
  const late = utc("2025-10-01T00:00:00");

  it("start is inclusive; an unaligned start begins at the next fire", () => {
    expect(dates(dueRuns(daily, base({ startMs: start, nowMs: utc("2025-09-03T00:00:00") }))).at(0)).toBe("2025-09-01T00:00:00.000Z");
    expect(dates(dueRuns(daily, base({ startMs: start + 1, nowMs: utc("2025-09-03T00:00:00") })))).toEqual(["2025-09-02T00:00:00.000Z"]);
  });

  it("end is inclusive (Airflow): the logical date equal to end gets a run, covering [end, next)", () => {
    const runs = dueRuns(daily, base({ startMs: start, endMs: end, nowMs: late }));
    expect(dates(runs)).toEqual(["2025-09-01T00:00:00.000Z", "2025-09-02T00:00:00.000Z", "2025-09-03T00:00:00.000Z"]);
    expect(iso(runs[2]!.intervalEndMs)).toBe("2025-09-04T00:00:00.000Z");
    // An unaligned end includes the last logical date at or before it.
    expect(dueRuns(daily, base({ startMs: start, endMs: end + 12 * HOUR, nowMs: late }))).toHaveLength(3);
    expect(dueRuns(daily, base({ startMs: start, endMs: end - 1, nowMs: late }))).toHaveLength(2);
  });

  it("the run for end is created only when its interval ends", () => {
    expect(dueRuns(daily, base({ startMs: start, endMs: end, nowMs: utc("2025-09-03T23:59:59") }))).toHaveLength(2);
    expect(dueRuns(daily, base({ startMs: start, endMs: end, nowMs: utc("2025-09-04T00:00:00") }))).toHaveLength(3);
  });

  it("nothing after end, in both modes; nextWakeMs is then null", () => {
    for (const catchup of [true, false]) {
      const options = base({ catchup, startMs: start, endMs: end, lastLogicalDateMs: end, nowMs: late });
      expect(dueRuns(daily, options)).toEqual([]);
      expect(nextWakeMs(daily, options)).toBeNull();
    }
  });

  it("catchup off past end still creates the last interval ≤ end if it was missed", () => {
    const runs = dueRuns(daily, base({ catchup: false, startMs: start, endMs: end, lastLogicalDateMs: start, nowMs: late }));
    expect(dates(runs)).toEqual(["2025-09-03T00:00:00.000Z"]);
  });

  it("start after end: never due", () => {
    const options = base({ startMs: late, endMs: end, nowMs: utc("2026-01-01T00:00:00") });
    expect(dueRuns(daily, options)).toEqual([]);
    expect(nextWakeMs(daily, options)).toBeNull();
  });
});

describe("dueRuns: interval schedules", () => {
  it('"15m" is anchored at start, not at the epoch', () => {
    const start = utc("2025-09-01T10:07:00");
    const every = parseSchedule("15m", "UTC", start);
    const runs = dueRuns(every, base({ startMs: start, nowMs: utc("2025-09-01T11:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-01T10:07:00.000Z", "2025-09-01T10:22:00.000Z", "2025-09-01T10:37:00.000Z"]);
    expect(runs.map((r) => r.intervalEndMs - r.intervalStartMs)).toEqual([15 * 60_000, 15 * 60_000, 15 * 60_000]);
    expect(iso(nextWakeMs(every, base({ startMs: start, lastLogicalDateMs: runs[2]!.logicalDateMs, nowMs: utc("2025-09-01T11:00:00") }))!)).toBe(
      "2025-09-01T11:07:00.000Z",
    );
  });

  it('"1d" is 24h of real time across DST, whatever the zone', () => {
    const start = parseLogicalDate("2025-03-29", "Europe/Berlin");
    const every = parseSchedule("1d", "Europe/Berlin", start);
    const runs = dueRuns(every, base({ startMs: start, nowMs: start + 4 * DAY }));
    expect(runs.map((r) => r.logicalDateMs - start)).toEqual([0, DAY, 2 * DAY, 3 * DAY]);
  });

  it("catchup off: only the latest", () => {
    const start = utc("2025-09-01T00:00:00");
    const every = parseSchedule("15m", "UTC", start);
    expect(dates(dueRuns(every, base({ catchup: false, startMs: start, nowMs: utc("2025-09-01T11:20:00") })))).toEqual(["2025-09-01T11:00:00.000Z"]);
  });
});

describe("dueRuns: schedules that do not fire by themselves", () => {
  const options = base({ startMs: 0, nowMs: utc("2025-09-01T00:00:00") });

  it.each([
    ["manual", null],
    ["events", { events: ["orders_loaded"] }],
    ["after", { after: ["upstream"] }],
  ] as const)("%s: never due, never wakes", (_name, schedule) => {
    const parsed = parseSchedule(schedule, "UTC");
    expect(dueRuns(parsed, options)).toEqual([]);
    expect(dueRuns(parsed, { ...options, catchup: false })).toEqual([]);
    expect(nextWakeMs(parsed, options)).toBeNull();
  });

  it("events with a cron are due on the cron (as nextFireAfter says they fire)", () => {
    const parsed = parseSchedule({ events: ["orders_loaded"], cron: "@daily" }, "UTC");
    const runs = dueRuns(parsed, base({ startMs: utc("2025-09-01T00:00:00"), nowMs: utc("2025-09-03T00:00:00") }));
    expect(dates(runs)).toEqual(["2025-09-01T00:00:00.000Z", "2025-09-02T00:00:00.000Z"]);
  });
});

describe("nextWakeMs", () => {
  const daily = parseSchedule("@daily", "UTC");
  const start = utc("2025-09-01T00:00:00");

  it("is the end of the next interval to create, in both modes", () => {
    for (const catchup of [true, false]) {
      expect(iso(nextWakeMs(daily, base({ catchup, startMs: start, nowMs: utc("2025-08-01T00:00:00") }))!)).toBe("2025-09-02T00:00:00.000Z");
      expect(iso(nextWakeMs(daily, base({ catchup, startMs: start, lastLogicalDateMs: utc("2025-09-05T00:00:00"), nowMs: utc("2025-09-06T01:00:00") }))!)).toBe(
        "2025-09-07T00:00:00.000Z",
      );
    }
  });

  it("is ≤ now when runs are due already", () => {
    const now = utc("2025-09-10T00:00:00");
    for (const catchup of [true, false]) {
      const options = base({ catchup, startMs: start, lastLogicalDateMs: start, nowMs: now });
      expect(dueRuns(daily, options).length).toBeGreaterThan(0);
      expect(nextWakeMs(daily, options)!).toBeLessThanOrEqual(now);
    }
  });

  it("after creating what is due, waking at nextWakeMs always finds exactly the next run", () => {
    const schedule = parseSchedule("30 2 * * *", "America/New_York");
    let last: number | null = null;
    let now = utc("2025-01-01T00:00:00");
    const created: number[] = [];
    for (let i = 0; i < 400; i++) {
      const options = base({ catchup: false, startMs: utc("2025-01-01T00:00:00"), lastLogicalDateMs: last, nowMs: now });
      const wake = nextWakeMs(schedule, options)!;
      expect(wake).toBeGreaterThan(now);
      expect(dueRuns(schedule, { ...options, nowMs: wake - 1 })).toEqual([]);
      const runs = dueRuns(schedule, { ...options, nowMs: wake });
      expect(runs).toHaveLength(1);
      expect(runs[0]!.intervalEndMs).toBe(wake);
      last = runs[0]!.logicalDateMs;
      created.push(last);
      now = wake;
    }
    expect(created).toEqual(fireTimesBetween(schedule, utc("2025-01-01T00:00:00"), created.at(-1)!));
  });
});

describe("dueRuns: simulated time across DST neither skips nor duplicates a run", () => {
  const yearStart = utc("2025-01-01T00:00:00");
  const yearEnd = utc("2026-01-01T00:00:00");
  const hourly = () => HOUR;

  // A whole year, now advancing hour by hour, feeding lastLogicalDate back.
  it.each([
    ["@daily", "Europe/Berlin"],
    ["@daily", "America/New_York"],
    ["30 2 * * *", "Europe/Berlin"],
    ["30 2 * * *", "America/New_York"],
    ["0 1-3 * * *", "Europe/Berlin"],
    ["15 4 * * 1-5", "America/New_York"],
  ])("%s in %s over a year, hour by hour, catchup on and off", (expression, timezone) => {
    const schedule = parseSchedule(expression, timezone);
    const startMs = parseLogicalDate("2025-01-01", timezone);
    const expected = fireTimesBetween(schedule, startMs, yearEnd, 100_000).filter((d) => nextFireAfter(schedule, d)! <= yearEnd);
    for (const catchup of [true, false]) {
      const created = simulate(schedule, { startMs, endMs: null, catchup }, yearStart, yearEnd, hourly);
      expectStrictlyIncreasing(created);
      expect(created.map(iso)).toEqual(expected.map(iso));
    }
  });

  // Hourly and sub-hourly schedules: a fortnight around each transition, in 10-minute steps.
  it.each([
    ["@hourly", "Europe/Berlin", "2025-03-23", "2025-04-06"],
    ["@hourly", "Europe/Berlin", "2025-10-19", "2025-11-02"],
    ["@hourly", "America/New_York", "2025-03-02", "2025-03-16"],
    ["@hourly", "America/New_York", "2025-10-26", "2025-11-09"],
    ["*/30 * * * *", "Europe/Berlin", "2025-10-19", "2025-11-02"],
    ["30 * * * *", "America/New_York", "2025-03-02", "2025-03-16"],
  ])("%s in %s from %s to %s, catchup on and off", (expression, timezone, from, to) => {
    const schedule = parseSchedule(expression, timezone);
    const startMs = parseLogicalDate(from, timezone);
    const endSim = parseLogicalDate(to, timezone);
    const expected = fireTimesBetween(schedule, startMs, endSim).filter((d) => nextFireAfter(schedule, d)! <= endSim);
    for (const catchup of [true, false]) {
      const created = simulate(schedule, { startMs, endMs: null, catchup }, startMs, endSim, () => 10 * 60_000);
      expectStrictlyIncreasing(created);
      expect(created.map(iso)).toEqual(expected.map(iso));
    }
  });

  it("an hourly schedule has 25 runs on the fall-back day and 23 on the spring-forward day", () => {
    const schedule = parseSchedule("@hourly", "Europe/Berlin");
    const count = (day: string, next: string) => {
      const startMs = parseLogicalDate(day, "Europe/Berlin");
      const endMs = parseLogicalDate(next, "Europe/Berlin") - 1;
      return dueRuns(schedule, base({ startMs, endMs, nowMs: endMs + DAY })).length;
    };
    expect(count("2025-10-26", "2025-10-27")).toBe(25);
    expect(count("2025-03-30", "2025-03-31")).toBe(23);
    expect(count("2025-03-31", "2025-04-01")).toBe(24);
  });

  it("a daily run in Berlin covers 23h on the spring-forward day and 25h on the fall-back day", () => {
    const schedule = parseSchedule("@daily", "Europe/Berlin");
    const startMs = parseLogicalDate("2025-01-01", "Europe/Berlin");
    const runs = dueRuns(schedule, base({ startMs, nowMs: yearEnd }));
    expect(runs).toHaveLength(365);
    const length = (day: string) => {
      const run = runs.find((r) => r.logicalDateMs === parseLogicalDate(day, "Europe/Berlin"))!;
      return (run.intervalEndMs - run.intervalStartMs) / HOUR;
    };
    expect([length("2025-03-29"), length("2025-03-30"), length("2025-10-26"), length("2025-10-27")]).toEqual([24, 23, 25, 24]);
  });

  it("irregular wake-ups (a deterministic pseudo-random walk of 1 min – 30 h) with catchup on", () => {
    const schedule = parseSchedule("0 */6 * * *", "America/New_York");
    const startMs = parseLogicalDate("2025-02-01", "America/New_York");
    const endSim = parseLogicalDate("2025-12-01", "America/New_York");
    let seed = 42;
    const step = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return 60_000 + (seed % (30 * 60)) * 60_000;
    };
    const created = simulate(schedule, { startMs, endMs: null, catchup: true, limit: 3 }, startMs, endSim, step);
    const lastNow = created.length === 0 ? startMs : nextFireAfter(schedule, created.at(-1)!)!;
    expect(created.map(iso)).toEqual(fireTimesBetween(schedule, startMs, lastNow).filter((d) => nextFireAfter(schedule, d)! <= lastNow).map(iso));
    expect(created.length).toBeGreaterThan(1100);
  });
});

describe("dueRuns: pause and unpause", () => {
  const daily = parseSchedule("@daily", "Europe/Berlin");
  const startMs = parseLogicalDate("2025-09-01", "Europe/Berlin");
  const lastBeforePause = parseLogicalDate("2025-09-05", "Europe/Berlin");
  const unpausedAt = parseLogicalDate("2025-09-15", "Europe/Berlin") + 9 * HOUR;

  it("catchup on: every interval missed while paused", () => {
    const runs = dueRuns(daily, base({ startMs, catchup: true, lastLogicalDateMs: lastBeforePause, nowMs: unpausedAt }));
    expect(runs).toHaveLength(9); // 09-06 … 09-14
    expect(runs[0]!.logicalDateMs).toBe(parseLogicalDate("2025-09-06", "Europe/Berlin"));
    expect(runs.at(-1)!.logicalDateMs).toBe(parseLogicalDate("2025-09-14", "Europe/Berlin"));
  });

  it("catchup off: only the latest", () => {
    const runs = dueRuns(daily, base({ startMs, catchup: false, lastLogicalDateMs: lastBeforePause, nowMs: unpausedAt }));
    expect(runs.map((r) => r.logicalDateMs)).toEqual([parseLogicalDate("2025-09-14", "Europe/Berlin")]);
  });
});
