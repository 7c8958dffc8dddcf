// The scheduler-service side of the benchmarks (bench/README.md, W4 and W6): bundled by scripts/build.mjs
// into dist/bench-service-harness.js and started by bench/run.mjs once per repetition (a fresh process,
// a fresh WEIR_HOME). It drives what `weir dev` wires together — the SQLite store, a LocalWorkerPool and a
// SchedulerService (watch off) — and prints one JSON line on stdout.
//
//   node dist/bench-service-harness.js '{"workload":"W4","file":"/abs/daily.ts","home":"/tmp/x","days":365,"capMs":60000}'
//   node dist/bench-service-harness.js '{"workload":"W6","dir":"/abs/schedules","home":"/tmp/x","pipelines":1000,"minutes":10,"capMs":60000}'
import { readFileSync } from "node:fs";
import type { PipelineGraph } from "../src/graph/types.js";
import { isTerminalRunState } from "../src/engine/states.js";
import { systemClock } from "../src/scheduler/clock.js";
import { ManualClock } from "../src/scheduler/manual-clock.js";
import { newRunFor } from "../src/scheduler/new-run.js";
import type { NewRun } from "../src/store/types.js";
import { parseGraphSchedule, parseLogicalDate, planBackfill } from "../src/time/index.js";
import { childProcesses, cpuOf } from "./proc-facts.js";
import { finish, setUp, until, untilAsync } from "./service-setup.js";

export interface ServiceHarnessConfig {
  workload: "W4" | "W6";
  home: string;
  /** Worker processes (default: the pool's default, the machine's parallelism — as `weir dev`). */
  workers?: number;
  /** Give up waiting for the runs after this long (ms) and report how far they got. */
  capMs: number;
  /** W4: the pipeline file (one @daily pipeline) and how many days to backfill from 2023-01-01. */
  file?: string;
  days?: number;
  /** W6: the directory of pipeline files, how many pipelines they define, minutes to simulate. */
  dir?: string;
  pipelines?: number;
  minutes?: number;
  /** Write a V8 CPU profile of each worker into this directory (through bench/profiled-worker.mjs). */
  workerCpuProfDir?: string;
  /** Time every Store method (calls, total ms): where the service's passes go (wraps the object; no src change). */
  diagnose?: boolean;
}

export interface BackfillFigures {
  runs: number;
  tasks: number;
  /** runsByLogicalDate + planBackfill + building the runs + store.createBackfill, as `weir backfill` does. */
  createMs: number;
  /** service.start() returned: lease, registry load of the file (warm worker), the first pass (starts every run). */
  startMs: number;
  /** From service.start() to the first try committed running. */
  firstRunningMs: number | null;
  /** From service.start() to the last run's end committed (every task instance done). */
  doneMs: number;
  /** From service.start() to the backfill's state committed success. */
  backfillEndedMs: number | null;
  /** Most runs committed running at once. */
  peakRunning: number;
  states: Record<string, number>;
  instancesSuccess: number;
  capped: boolean;
}

export interface ScheduleFigures {
  pipelines: number;
  minutes: number;
  /** service.start(): lease, every file loaded through the pool, versions saved, first pass (creates runs). */
  startMs: number;
  /** service.start() to the end of the first (catch-up) interval's runs: untimed warm-up. */
  warmupMs: number;
  /** Wall time of the simulated minutes (a 1 s clock step at a time, each until the service is quiet) and the runs' end. */
  wallMs: number;
  /** Scheduler (driving process) CPU per simulated minute: its polls, the due runs' creation, driving them. */
  cpuMsPerMinute: number;
  /** Worker CPU per simulated minute (the runs' trivial tasks). */
  workerCpuMsPerMinute: number;
  /** Real ms from the clock reaching an interval's end to its run committed running: p50, p99, max. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** The same p99 over the untimed warm-up minute: the first regular minute, when V8 compiles the due-run path. */
  warmMinuteLagP99Ms: number | null;
  /**
   * The same lag in CPU time of the scheduler's main thread (Linux schedstat, ns), from the clock reaching an
   * interval's end to that minute's median run, and its 99th-percentile run, committed running: what the path
   * costs, steady on a machine where other work takes the cores. Medians over the minutes; the largest p99 too.
   */
  lagCpuP50Ms: number | null;
  lagCpuP99Ms: number | null;
  lagCpuP99MaxMs: number | null;
  /** Real ms from the clock reaching an interval's end to the last of that minute's runs ended, median over minutes. */
  minuteDoneMs: number;
  /** Median wall of a 1 s clock step between interval ends (one poll pass of the service). */
  stepMs: number;
  runs: number;
  states: Record<string, number>;
  capped: boolean;
  boundaries?: { createdMs: number | null; queuedListedMs: number | null; firstCommitStartMs: number | null; firstCommitEndMs: number | null; cpuToP99Ms: number | null }[];
}

export interface ServiceHarnessResult {
  workload: string;
  workers: number;
  driverMaxRssMb: number;
  workerPeakRssMb: number[];
  /** CPU of the workers over their whole life. */
  workerCpuMs: number[];
  errors: string[];
  /** With `diagnose`: per Store method, calls and total wall ms (awaited), largest first. */
  storeCalls?: { method: string; calls: number; ms: number }[];
  backfill?: BackfillFigures;
  schedules?: ScheduleFigures;
}

const DAY = 86_400_000;

/**
 * W4: an @daily pipeline (paused, so its schedule adds no run of its own; backfill runs start regardless),
 * a backfill of `days` days with unlimited concurrency created as `weir backfill` creates it, then a
 * SchedulerService on the system clock runs it.
 */
async function backfill(config: ServiceHarnessConfig): Promise<ServiceHarnessResult> {
  const file = config.file as string;
  const days = config.days ?? 365;
  const setup = await setUp(config);
  const { store, pool } = setup;
  try {
    // Fork the workers and import the file in each (untimed), as W1–W3 do.
    const loads = await Promise.all(Array.from({ length: pool.size }, () => pool.load(file)));
    const loaded = loads[0];
    if (!loaded || loaded.problems.length > 0 || loaded.pipelines.length !== 1) throw new Error(`bench: ${file} did not load: ${JSON.stringify(loaded?.problems ?? [])}`);
    const graph = loaded.pipelines[0] as PipelineGraph;
    await store.savePipelineVersion(graph, Date.now());
    await store.setPaused(graph.id, true);

    // (a) What `weir backfill <id> --from 2023-01-01 --to <+days-1>` does after loading the pipeline record.
    const createStarted = performance.now();
    const fromMs = parseLogicalDate("2023-01-01", graph.timezone);
    const toMs = fromMs + (days - 1) * DAY;
    const existing = await store.runsByLogicalDate(graph.id, fromMs, toMs);
    const plan = planBackfill(parseGraphSchedule(graph), { fromMs, toMs, existing, reprocess: "none" });
    const nowMs = Date.now();
    const id = `backfill_bench_${process.pid}`;
    const runs: NewRun[] = plan
      .filter((p) => p.action === "create" || p.action === "rerun" || p.action === "rerun_failed")
      .map((p) => newRunFor(graph, "backfill", p, { backfillId: id }));
    await store.createBackfill({ id, pipelineId: graph.id, fromMs, toMs, concurrency: null, reprocess: "none", totalRuns: runs.length }, runs, nowMs);
    const createMs = performance.now() - createStarted;

    // (b) A scheduler starts and runs them.
    const service = setup.makeService(file, systemClock);
    let firstRunning: number | null = null;
    let running = 0;
    let peakRunning = 0;
    let ended = 0;
    let lastEnded = 0;
    const started = performance.now();
    const seen = new Set<string>();
    service.onRunChange((change) => {
      if (firstRunning === null && change.transitions.some((t) => t.to === "running")) firstRunning = performance.now() - started;
      // A run's first committed change while running: it counts as running until it ends.
      if (change.runState === "running" && !seen.has(change.run.id)) {
        seen.add(change.run.id);
        running++;
        peakRunning = Math.max(peakRunning, running);
      }
      if (isTerminalRunState(change.runState)) {
        ended++;
        running--;
        lastEnded = performance.now() - started;
      }
    });
    await service.start();
    const startMs = performance.now() - started;
    const done = await until(() => ended >= runs.length, config.capMs);
    const doneMs = done ? lastEnded : performance.now() - started;
    const backfillDone = done && (await untilAsync(async () => (await store.getBackfill(id))?.state !== "running", 10_000));
    const backfillEndedMs = backfillDone ? performance.now() - started : null;

    const states: Record<string, number> = {};
    let instancesSuccess = 0;
    for (const run of await store.listRuns({ backfillId: id, limit: 10_000 })) {
      states[run.state] = (states[run.state] ?? 0) + 1;
      for (const instance of await store.listTaskInstances(run.id)) if (instance.state === "success") instancesSuccess++;
    }
    const base = finish(setup, "W4");
    await service.stop();
    return {
      ...base,
      backfill: {
        runs: runs.length,
        tasks: runs.length * graph.order.length,
        createMs,
        startMs,
        firstRunningMs: firstRunning,
        doneMs,
        backfillEndedMs,
        peakRunning,
        states,
        instancesSuccess,
        capped: !done,
      },
    };
  } finally {
    await pool.close();
    await store.close();
  }
}


/** CPU time of this process's main thread so far (ms; Linux only, else null): GC and I/O threads left out. */
function mainThreadCpuMs(): number | null {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return null;
  }
}

const T0 = Date.UTC(2025, 2, 10, 12, 0, 0); // the simulated "now" at start, on a minute boundary

/**
 * W6: `pipelines` pipelines on `* * * * *` (catchup off) under `dir`, a SchedulerService on a ManualClock
 * with its default 1 s poll. Time advances one second at a time — each step waits until the service is
 * quiet again (its poll re-armed) — for `minutes` simulated minutes. At each minute's end every pipeline
 * gets a run; the lag of a run is real time from the clock reaching its interval's end to the run being
 * committed running (with a ManualClock the store's startedMs is the simulated time: no lag to see there).
 */
async function schedules(config: ServiceHarnessConfig): Promise<ServiceHarnessResult> {
  const minutes = config.minutes ?? 10;
  const expectedPerMinute = config.pipelines ?? 1000;
  const setup = await setUp(config);
  const { store, pool } = setup;
  const clock = new ManualClock(T0);
  try {
    const service = setup.makeService(config.dir as string, clock);
    // Minute m ends at T0 + m·60 s; boundaryAt[m] is the real time the clock reached it.
    const boundaryAt = new Map<number, number>();
    const boundaryCpu = new Map<number, number | null>();
    const lags: number[] = [];
    // The first regular minute is the first time the due-run path runs (the catch-up took another): V8
    // compiles it then. Untimed like the catch-up, its lags are reported apart (a scheduler runs for months).
    const WARM_MINUTES = 1;
    const warmLags: number[] = [];
    const startedPerMinute = new Map<number, number>();
    const cpuAtP50 = new Map<number, number>();
    const cpuAtP99 = new Map<number, number>();
    const p50Count = Math.ceil(0.5 * expectedPerMinute);
    const p99Count = Math.ceil(0.99 * expectedPerMinute);
    const endedPerMinute = new Map<number, number>();
    const lastEndPerMinute = new Map<number, number>();
    const seen = new Set<string>();
    let ended = 0;
    service.onRunChange((change) => {
      const minute = Math.round((change.run.intervalEndMs - T0) / 60_000);
      if (change.runState === "running" && !seen.has(change.run.id)) {
        seen.add(change.run.id);
        const at = boundaryAt.get(minute);
        if (at !== undefined) (minute <= WARM_MINUTES ? warmLags : lags).push(performance.now() - at);
        const cpuAt = boundaryCpu.get(minute);
        if (cpuAt !== undefined && cpuAt !== null) {
          // Read at two runs of the minute only: reading /proc at every run would be part of what it measures.
          const count = (startedPerMinute.get(minute) ?? 0) + 1;
          startedPerMinute.set(minute, count);
          if (count === p50Count) cpuAtP50.set(minute, (mainThreadCpuMs() ?? NaN) - cpuAt);
          if (count === p99Count) cpuAtP99.set(minute, (mainThreadCpuMs() ?? NaN) - cpuAt);
        }
      }
      if (isTerminalRunState(change.runState)) {
        ended++;
        endedPerMinute.set(minute, (endedPerMinute.get(minute) ?? 0) + 1);
        lastEndPerMinute.set(minute, performance.now());
      }
    });
    const started = performance.now();
    await service.start();
    const startMs = performance.now() - started;
    // The catch-up run of each pipeline (the interval that ended at T0): warm-up, untimed.
    let capped = !(await until(() => ended >= expectedPerMinute, config.capMs));
    const warmupMs = performance.now() - started;
    // Quiet: the service's wake timer and poll timer are both armed again (no pass in flight).
    const quietTimers = clock.pending();
    const quiet = async (): Promise<void> => {
      const end = performance.now() + 5_000;
      while (clock.pending() < quietTimers && performance.now() < end) await new Promise((r) => setImmediate(r));
    };
    await quiet();
    const advanceMinute = async (m: number, timed: boolean, steps: number[]): Promise<void> => {
      for (let s = 1; s <= 60; s++) {
        const stepStarted = performance.now();
        if (s === 60) {
          boundaryAt.set(m, stepStarted);
          if (timed) boundaryCpu.set(m, mainThreadCpuMs());
        }
        await clock.advanceTo(T0 + ((m - 1) * 60 + s) * 1000, quiet);
        await quiet();
        if (s !== 60 && timed) steps.push(performance.now() - stepStarted);
      }
    };
    for (let m = 1; m <= WARM_MINUTES; m++) await advanceMinute(m, false, []);
    capped = !(await until(() => ended >= expectedPerMinute * (WARM_MINUTES + 1), config.capMs)) || capped;
    await quiet();

    const workerPids = childProcesses();
    const workerCpuBefore = cpuOf(workerPids);
    const cpuBefore = process.cpuUsage();
    const wallStarted = performance.now();
    const steps: number[] = [];
    for (let m = WARM_MINUTES + 1; m <= WARM_MINUTES + minutes && !capped; m++) {
      await advanceMinute(m, true, steps);
      if (performance.now() - wallStarted > config.capMs) capped = true;
    }
    const total = expectedPerMinute * (minutes + WARM_MINUTES + 1);
    capped = !(await until(() => ended >= total, capped ? 1 : config.capMs)) || capped;
    const wallMs = performance.now() - wallStarted;
    const cpu = process.cpuUsage(cpuBefore);
    const workerCpu = cpuOf(workerPids) - workerCpuBefore;

    const states: Record<string, number> = {};
    let runs = 0;
    for (const p of await store.listPipelines()) {
      for (const run of await store.listRuns({ pipelineId: p.id, limit: 1000 })) {
        runs++;
        states[run.state] = (states[run.state] ?? 0) + 1;
      }
    }
    const sorted = [...lags].sort((a, b) => a - b);
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
    const median = (values: readonly number[]): number | null => (values.length === 0 ? null : ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? null));
    const timedBoundaries = [...boundaryAt].filter(([m]) => m > WARM_MINUTES);
    const minuteDone = timedBoundaries.map(([m, at]) => (lastEndPerMinute.get(m) ?? NaN) - at).sort((a, b) => a - b);
    const sortedSteps = [...steps].sort((a, b) => a - b);
    // With `diagnose`: after each interval's end, when the queued runs were listed (the pass does so before it
    // creates the due runs, which it starts at once), when the due runs were created (committed running by that
    // same transaction), and the coordinator's first commit after that (the one that dispatches their first tasks).
    const breakdown = timedBoundaries.map(([m, at]) => {
      const after = setup.marks.filter((k) => k.startedMs >= at && k.startedMs < at + 5000);
      const created = after.find((k) => k.method === "createRuns");
      const listed = created && after.filter((k) => k.method === "listRuns" && k.endedMs <= created.startedMs).pop();
      const commits = created ? after.filter((k) => k.method === "applyDecisions" && k.startedMs >= created.endedMs) : [];
      return {
        createdMs: created ? created.endedMs - at : null,
        queuedListedMs: listed ? listed.endedMs - at : null,
        firstCommitStartMs: commits[0] ? commits[0].startedMs - at : null,
        firstCommitEndMs: commits[0] ? commits[0].endedMs - at : null,
        cpuToP99Ms: cpuAtP99.get(m) ?? null,
      };
    });
    const base = finish(setup, "W6");
    await service.stop();
    return {
      ...base,
      schedules: {
        pipelines: service.pipelines().length,
        minutes,
        startMs,
        warmupMs,
        wallMs,
        cpuMsPerMinute: (cpu.user + cpu.system) / 1000 / minutes,
        workerCpuMsPerMinute: workerCpu / minutes,
        lagP50Ms: q(0.5),
        lagP99Ms: q(0.99),
        lagMaxMs: sorted[sorted.length - 1] ?? NaN,
        warmMinuteLagP99Ms: [...warmLags].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.99 * warmLags.length) - 1)] ?? null,
        lagCpuP50Ms: median([...cpuAtP50.values()]),
        lagCpuP99Ms: median([...cpuAtP99.values()]),
        lagCpuP99MaxMs: cpuAtP99.size === 0 ? null : Math.max(...cpuAtP99.values()),
        minuteDoneMs: minuteDone[Math.floor(minuteDone.length / 2)] ?? NaN,
        stepMs: sortedSteps[Math.floor(sortedSteps.length / 2)] ?? NaN,
        ...(config.diagnose ? { boundaries: breakdown } : {}),
        runs,
        states,
        capped,
      },
    };
  } finally {
    await pool.close();
    await store.close();
  }
}

const arg = process.argv[2];
if (arg !== undefined) {
  const config = JSON.parse(arg) as ServiceHarnessConfig;
  (config.workload === "W4" ? backfill(config) : schedules(config)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      // A capped workload leaves runs in flight: don't wait for them.
      if (result.backfill?.capped || result.schedules?.capped) process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`bench service harness: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
