// The in-process side of the benchmarks (bench/README.md): bundled by scripts/build.mjs into
// dist/bench-harness.js and started by bench/run.mjs once per repetition, so every measurement gets a
// fresh process (its own peak RSS) and a fresh WEIR_HOME. It drives the same modules `weir run` does —
// the SQLite store (or Postgres: `databaseUrl`, bench/postgres.mjs), the LocalWorkerPool and the
// Coordinator — and prints one JSON line on stdout.
//
//   node dist/bench-harness.js '{"workload":"W2","file":"/abs/fanout.ts","home":"/tmp/x","runs":1}'
import { LocalWorkerPool } from "../src/executor/local-pool.js";
import type { PipelineGraph } from "../src/graph/types.js";
import type { RunState } from "../src/engine/states.js";
import { systemClock } from "../src/scheduler/clock.js";
import { Coordinator } from "../src/scheduler/coordinator.js";
import { newRunId } from "../src/scheduler/run-ids.js";
import { openStore } from "../src/store/open-store.js";
import type { RunRecord } from "../src/store/types.js";
import { settledCommits, workloadCommits } from "./postgres-commits.js";
import { childProcesses, procFacts } from "./proc-facts.js";
import { followRun, liveHeapMb, MB, type DagFigures, type DagOptions } from "./harness-dag.js";
import { Probe, type Diagnosis } from "./harness-probe.js";
import { lowerHelperThreads } from "../src/cli/helper-threads.js";

export interface HarnessConfig {
  workload: string;
  /** Absolute path of the pipeline file (one pipeline in it). */
  file: string;
  /** A fresh WEIR_HOME. */
  home: string;
  /** How many runs of the pipeline to create and start at once. */
  runs: number;
  /** Worker processes (default: the pool's default, the machine's parallelism — as `weir run`). */
  workers?: number;
  /** Load the file in every worker before the clock starts (default true); false: only one, as `weir run`. */
  warmAll?: boolean;
  /** Worker entry (default: dist/worker.js), e.g. a wrapper that instruments it. */
  workerScript?: string;
  /** Also time the store's commits and the driver's turnaround (wraps the store and pool objects; no src change). */
  diagnose?: boolean;
  /** Run the workload once untimed first (steady state of a long-running scheduler). */
  warm?: boolean;
  /** Write a V8 CPU profile of each worker into this directory (through bench/profiled-worker.mjs). */
  workerCpuProfDir?: string;
  /** W5 (one very large run): the extra measurements and the cap of `DagOptions`. */
  dag?: DagOptions;
  /** A fresh Postgres database (`--store postgres`, bench/postgres.mjs) instead of SQLite in `home`. */
  databaseUrl?: string;
}

export interface HarnessResult {
  workload: string;
  tasks: number;
  runs: number;
  workers: number;
  /** Forking the first workers and importing the pipeline file in them. */
  loadMs: number;
  /** Opening + migrating the store, saving the pipeline version, creating the runs. */
  setupMs: number;
  /** First startRun to the last run's end. */
  wallMs: number;
  states: Record<string, number>;
  driverMaxRssMb: number;
  /** CPU of the driving process during the wall time. */
  driverCpuMs: number;
  workerPeakRssMb: number[];
  /** CPU of the workers over their whole life (load included). */
  workerCpuMs: number[];
  /** CPU of the workers during the timed part only (load excluded). */
  workerRunCpuMs: number;
  spawned: number;
  diagnosis?: Diagnosis;
  dag?: DagFigures;
  /** On Postgres: transactions committed during the timed part (pg_stat_database.xact_commit). */
  commits?: number;
}

export async function runHarness(config: HarnessConfig): Promise<HarnessResult> {
  process.env.WEIR_HOME = config.home;
  lowerHelperThreads(); // as `weir run` does first
  let coordinator: Coordinator | null = null;
  const probe = config.diagnose ? new Probe() : null;
  const pool = new LocalWorkerPool({
    size: config.workers,
    ...(config.workerScript ? { workerScript: config.workerScript } : {}),
    ...(config.workerCpuProfDir ? { workerScript: config.workerScript ?? new URL("../bench/profiled-worker.mjs", import.meta.url).pathname, env: { WEIR_BENCH_WORKER_PROF_DIR: config.workerCpuProfDir, WEIR_BENCH_WORKER_PROF_NAME: config.workload } } : {}),
    onResult: (key, result, timing) => {
      probe?.result(key, result);
      coordinator?.handleResult(key, result, timing);
    },
  });
  let store = await openStore(config.databaseUrl, config.home);
  try {
    // Load: as `weir run` does, plus (by default) the same file in every other worker, so the timed part
    // measures orchestration, not forks and imports.
    let validateMs = 0;
    let validated: Awaited<ReturnType<LocalWorkerPool["load"]>> | undefined;
    if (config.dag) {
      // Fork every worker on a tiny file first, then the big file in one worker alone: that is validate.
      await Promise.all(Array.from({ length: pool.size }, () => pool.load((config.dag as DagOptions).forkFile)));
      const validateStarted = performance.now();
      validated = await pool.load(config.file);
      validateMs = performance.now() - validateStarted;
    }
    const loadAll = () => Promise.all(Array.from({ length: config.warmAll === false ? 1 : pool.size }, () => pool.load(config.file)));
    const loadStarted = performance.now();
    // With `dag`, the other workers' copies of the (large) graph are dropped: the heap holds one.
    const loaded = validated ?? (await loadAll())[0];
    if (!validated && config.warmAll !== false) {
      // A load goes to whichever worker is idle: the first one ready may have taken them all while another was
      // still starting (which then imported the file at its first try, inside the timed part). Once every
      // worker is ready (all idle), one load each lands on each of them.
      while (pool.stats().starting > 0) await new Promise((r) => setTimeout(r, 5));
      await loadAll();
    }
    if (validated) {
      // Drop the other workers' copies of the graph: not awaited as an array (it would stay live), and one
      // macrotask later (the IPC layer holds the last message until then), so the heap figures hold one graph.
      await loadAll().then(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
    const loadMs = performance.now() - loadStarted;
    if (!loaded || loaded.problems.length > 0 || loaded.pipelines.length !== 1) {
      throw new Error(`bench: ${config.file} did not load: ${JSON.stringify(loaded?.problems ?? [])}`);
    }
    const graph = loaded.pipelines[0] as PipelineGraph;

    const setupStarted = performance.now();
    await store.migrate();
    const nowMs = systemClock.now();
    await store.savePipelineVersion(graph, nowMs);
    const saveVersionMs = performance.now() - setupStarted;
    const records: RunRecord[] = [];
    const warmups: RunRecord[] = [];
    for (let i = 0; i < config.runs * (config.warm ? 2 : 1); i++) {
      const logicalDateMs = Date.UTC(2025, 8, 1) + i * 86_400_000;
      const { run } = await store.createRun(
        {
          id: newRunId("manual", logicalDateMs),
          pipelineId: graph.id,
          version: graph.version,
          trigger: "manual",
          logicalDateMs,
          intervalStartMs: logicalDateMs,
          intervalEndMs: logicalDateMs + 86_400_000,
          params: {},
          file: config.file,
          owner: `bench:${process.pid}`,
          taskIds: graph.order,
        },
        nowMs,
      );
      (config.warm && i < config.runs ? warmups : records).push(run);
    }
    const setupMs = performance.now() - setupStarted;
    // Postgres: the setup's connections are closed (publishing their counts) and the workload gets a store
    // of its own, so that the commits counted are the timed part's (bench/postgres-commits.ts).
    let commitsBefore: number | null = null;
    if (config.databaseUrl) {
      await store.close();
      commitsBefore = await settledCommits(config.databaseUrl);
      store = await openStore(config.databaseUrl, config.home);
    }
    if (probe) probe.wrap(store, pool);

    coordinator = new Coordinator({ store, executor: pool, clock: systemClock, home: config.home });
    // Steady state (a long-running scheduler): the same workload once, untimed, warms the JIT first.
    if (warmups.length > 0) await Promise.all(warmups.map((run) => (coordinator as Coordinator).startRun(run, graph)));
    const heapBefore = config.dag ? liveHeapMb() : null;
    const workersBefore = new Map(childProcesses().map((pid) => [pid, procFacts(pid).cpuMs]));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const c = coordinator;
    const follow = config.dag ? followRun(c, started, graph.order.length * config.runs, config.dag.capMs, heapBefore) : null;
    const all = Promise.all(records.map((run) => c.startRun(run, graph)));
    const finals: RunState[] | null = follow ? await Promise.race([all, follow.cap]) : await all;
    if (finals === null) all.catch(() => undefined); // capped: the pool's close ends the run's tries as lost
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const dag = config.dag && follow ? follow.figures(validateMs, saveVersionMs, setupMs - saveVersionMs, finals === null) : undefined;

    const states: Record<string, number> = {};
    for (const s of finals ?? ["capped"]) states[s] = (states[s] ?? 0) + 1;
    const workerPids = childProcesses();
    const workers = workerPids.map(procFacts);
    const workerRunCpuMs = workerPids.reduce((sum, pid, i) => sum + (workers[i]?.cpuMs ?? 0) - (workersBefore.get(pid) ?? 0), 0);
    const stats = pool.stats();
    coordinator.close();
    let commits: number | undefined;
    if (commitsBefore !== null && config.databaseUrl) {
      await store.close();
      commits = workloadCommits(commitsBefore, await settledCommits(config.databaseUrl));
    }
    return {
      workload: config.workload,
      tasks: graph.order.length * config.runs,
      runs: config.runs,
      workers: stats.workers,
      loadMs,
      setupMs,
      wallMs,
      states,
      driverMaxRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
      driverCpuMs: (cpu.user + cpu.system) / 1000,
      workerPeakRssMb: workers.map((w) => w.peakRssMb),
      workerCpuMs: workers.map((w) => w.cpuMs),
      workerRunCpuMs,
      spawned: stats.spawned,
      ...(probe ? { diagnosis: probe.report() } : {}),
      ...(dag ? { dag } : {}),
      ...(commits !== undefined ? { commits } : {}),
    };
  } finally {
    await pool.close();
    await store.close();
  }
}


const arg = process.argv[2];
if (arg !== undefined) {
  runHarness(JSON.parse(arg) as HarnessConfig).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      // A capped run leaves its coordinator mid-run: don't wait for what it still has scheduled.
      if (result.dag?.capped) process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`bench harness: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
