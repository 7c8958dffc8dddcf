// What W4 and W6 of bench/service-harness.ts share: the store, the worker pool and the SchedulerService they
// wire together as `weir dev` does, the figures every run reports, and polling with a cap (never a hang).
import { LocalWorkerPool } from "../src/executor/local-pool.js";
import type { Clock } from "../src/scheduler/clock.js";
import { SchedulerService, type SchedulerEvent } from "../src/scheduler/service.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/types.js";
import { childProcesses, procFacts } from "./proc-facts.js";
import type { ServiceHarnessConfig, ServiceHarnessResult } from "./service-harness.js";
import { lowerHelperThreads } from "../src/cli/helper-threads.js";

const MB = 1024 * 1024;

export interface Setup {
  store: Store;
  pool: LocalWorkerPool;
  service: () => SchedulerService | null;
  makeService: (root: string, clock: Clock) => SchedulerService;
  errors: string[];
  storeCalls: Map<string, { calls: number; ms: number }> | null;
  /** With `diagnose`: when createRuns, listRuns and applyDecisions ran (W6 relates them to each interval's end). */
  marks: StoreMark[];
}

export interface StoreMark {
  method: string;
  startedMs: number;
  endedMs: number;
}


/** Wraps every method of the store to count its calls and the wall time until each settles. */
function timeStore(store: Store, onCall: (method: string, startedMs: number, endedMs: number) => void): Map<string, { calls: number; ms: number }> {
  const calls = new Map<string, { calls: number; ms: number }>();
  const target = store as unknown as Record<string, unknown>;
  const names = new Set<string>();
  for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) for (const n of Object.getOwnPropertyNames(o)) names.add(n);
  for (const name of names) {
    const fn = target[name];
    if (name === "constructor" || typeof fn !== "function") continue;
    const bound = (fn as (...a: unknown[]) => unknown).bind(store);
    target[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const record = (): void => {
        const c = calls.get(name) ?? { calls: 0, ms: 0 };
        c.calls++;
        const t1 = performance.now();
        c.ms += t1 - t0;
        calls.set(name, c);
        onCall(name, t0, t1);
      };
      const out = bound(...args);
      if (out instanceof Promise) return out.finally(record);
      record();
      return out;
    };
  }
  return calls;
}

export async function setUp(config: ServiceHarnessConfig): Promise<Setup> {
  process.env.WEIR_HOME = config.home;
  lowerHelperThreads(); // as `weir dev` and `weir scheduler` do first
  let service: SchedulerService | null = null;
  const errors: string[] = [];
  const pool = new LocalWorkerPool({
    size: config.workers,
    ...(config.workerCpuProfDir ? { workerScript: new URL("../bench/profiled-worker.mjs", import.meta.url).pathname, env: { WEIR_BENCH_WORKER_PROF_DIR: config.workerCpuProfDir, WEIR_BENCH_WORKER_PROF_NAME: config.workload } } : {}),
    onResult: (key, result, timing) => service?.coordinator.handleResult(key, result, timing),
    onCapacity: () => service?.coordinator.wake(),
  });
  const store = await openStore(undefined, config.home);
  await store.migrate();
  const marks: StoreMark[] = [];
  const storeCalls = config.diagnose ? timeStore(store, (method, startedMs, endedMs) => {
    if (method === "createRuns" || method === "applyDecisions" || method === "listRuns") marks.push({ method, startedMs, endedMs });
  }) : null;
  return {
    store,
    pool,
    errors,
    storeCalls,
    marks,
    service: () => service,
    makeService: (root, clock) => {
      const onEvent = (event: SchedulerEvent): void => {
        if (event.kind === "error" && errors.length < 20) errors.push(event.message);
      };
      service = new SchedulerService({ store, executor: pool, clock, home: config.home, root, watch: false, onEvent });
      return service;
    },
  };
}

export function finish(setup: Setup, workload: string): Omit<ServiceHarnessResult, "backfill" | "schedules"> {
  const workers = childProcesses().map(procFacts);
  return {
    workload,
    workers: setup.pool.stats().workers,
    driverMaxRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
    workerPeakRssMb: workers.map((w) => w.peakRssMb),
    workerCpuMs: workers.map((w) => w.cpuMs),
    errors: setup.errors,
    ...(setup.storeCalls
      ? { storeCalls: [...setup.storeCalls].map(([method, c]) => ({ method, calls: c.calls, ms: Math.round(c.ms * 10) / 10 })).sort((a, b) => b.ms - a.ms) }
      : {}),
  };
}

/** Resolves when `check` holds (polled on the event loop), or false after `capMs`. */
export async function until(check: () => boolean, capMs: number, pollMs = 5): Promise<boolean> {
  const end = performance.now() + capMs;
  while (!check()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}


/** `until` for a check that reads the store. */
export async function untilAsync(check: () => Promise<boolean>, capMs: number): Promise<boolean> {
  const end = performance.now() + capMs;
  while (!(await check())) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
