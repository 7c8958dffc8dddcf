// How bench/run.mjs measures each workload: every repetition is a fresh child process with a fresh
// WEIR_HOME: W0 the CLI, W1–W3, W5 and W7 dist/bench-harness.js, W4 and W6 dist/bench-service-harness.js.
// Each runner returns the repetition's figures; a run that did not succeed throws.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CAP_MS } from "./options.mjs";
import { commitFigures, POSTGRES_WORKERS } from "./postgres.mjs";
import { w7Figures } from "./w7-map.mjs";
import { runW8 } from "./w8-sensors.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
export const harness = join(root, "dist", "bench-harness.js");
export const serviceHarness = join(root, "dist", "bench-service-harness.js");
const cli = join(root, "bin", "weir.js");


/** Runs a command; resolves with its stdout, wall time and exit code. */
function exec(command, argv, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, stdout, stderr, wallMs });
    });
  });
}

export const median = (xs) => {
  const s = [...xs].filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/**
 * The runner of each workload, by name. `homes` is the scratch folder for WEIR_HOMEs; `postgres` the
 * server of bench/postgres.mjs, or null on SQLite; `log` writes a progress line.
 */
export function makeRunners({ SIZES, quick, verbose, diagnose, cpuProfDir, files, scheduleDir, homes, postgres, log }) {
  let homeCounter = 0;
  const freshHome = () => join(homes, `home-${++homeCounter}`);

  /** W0: `weir run <one-task pipeline> --json`, process start to exit. RSS via a tiny --import hook. */
  async function coldOnce() {
    const rssDir = join(homes, `rss-${++homeCounter}`);
    mkdirSync(rssDir);
    const hook = join(here, "rss-hook.mjs");
    const result = await exec(process.execPath, ["--import", hook, cli, "run", files.one, "--json"], {
      WEIR_HOME: freshHome(),
      WEIR_BENCH_RSS_DIR: rssDir,
      NODE_OPTIONS: "",
    });
    if (result.code !== 0) throw new Error(`weir run exited ${result.code}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    const doc = JSON.parse(result.stdout);
    if (doc.run?.state !== "success") throw new Error(`weir run ended ${doc.run?.state}`);
    // The hook writes `<pid> <maxRSS kB>` for each process that exits normally (the CLI; workers are killed).
    const rss = readdirSync(rssDir).map((f) => Number(readFileSync(join(rssDir, f), "utf8").trim()));
    return { wallMs: result.wallMs, driverMaxRssMb: rss.length > 0 ? Math.max(...rss) / 1024 : null };
  }

  async function w0() {
    const samples = [];
    for (let i = 0; i < SIZES.coldRuns; i++) samples.push(await coldOnce());
    const wallMs = median(samples.map((s) => s.wallMs));
    return {
      wallMs,
      perEdgeMs: null,
      tasksPerS: null,
      peakRssMb: median(samples.map((s) => s.driverMaxRssMb)),
      workerPeakRssMb: null,
      loadMs: null,
      detail: `median of ${samples.length}: ${samples.map((s) => s.wallMs.toFixed(0)).join(", ")} ms`,
    };
  }

  async function inProcess(workload, file, runs, extra = {}) {
    const home = freshHome();
    const config = {
      workload,
      file,
      home,
      runs,
      diagnose,
      warm: process.env.BENCH_WARM === "1",
      ...(process.env.BENCH_WORKERS ? { workers: Number(process.env.BENCH_WORKERS) } : postgres ? { workers: POSTGRES_WORKERS } : {}),
      ...(postgres ? { databaseUrl: await postgres.databaseFor() } : {}),
      ...(diagnose ? { workerScript: join(here, "timed-worker.mjs") } : {}),
      // Workers are profiled through bench/profiled-worker.mjs (not with --diagnose: it has its own worker script).
      ...(cpuProfDir && !diagnose ? { workerCpuProfDir: cpuProfDir } : {}),
      ...extra,
    };
    const nodeArgs = extra.dag ? ["--expose-gc"] : [];
    // Extra node flags for the harness process only (diagnosis: --trace-opt, --perf-basic-prof, --cpu-prof-interval …).
    if (process.env.BENCH_NODE_ARGS) nodeArgs.push(...process.env.BENCH_NODE_ARGS.trim().split(/\s+/));
    if (cpuProfDir) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `${workload}-${homeCounter}.cpuprofile`);
    const result = await exec(process.execPath, [...nodeArgs, harness, JSON.stringify(config)], {});
    if (result.code !== 0) throw new Error(`harness ${workload} exited ${result.code}: ${result.stderr.trim()}`);
    const r = JSON.parse(result.stdout.trim().split("\n").pop());
    const bad = Object.entries(r.states).filter(([s]) => s !== "success" && !(s === "capped" && r.dag?.capped));
    if (bad.length > 0) throw new Error(`${workload}: runs did not all succeed: ${JSON.stringify(r.states)}`);
    rmSync(home, { recursive: true, force: true });
    if (config.databaseUrl) await postgres.drop(config.databaseUrl);
    if (r.diagnosis) {
      const d = r.diagnosis;
      log(
        `${workload} diagnosis: ${d.commits} commits (${d.decisionsPerCommit.toFixed(1)} decisions each, ${d.commitMsMean.toFixed(3)} ms each, ` +
          `${d.commitMsTotal.toFixed(0)} ms in all); ${d.submits} submits; submit→result ${d.roundTripMsMean.toFixed(3)} ms; ` +
          `result→next submit ${d.turnaroundMsMean.toFixed(3)} ms; in submit ${d.submitMsMean.toFixed(3)} ms (CPU ${d.submitCpuMsMean.toFixed(3)})` +
          (d.legsMsMean
            ? `; legs: to worker ${d.legsMsMean.toWorker.toFixed(3)} ms, in worker ${d.legsMsMean.inWorker.toFixed(3)} ms, back ${d.legsMsMean.fromWorker.toFixed(3)} ms`
            : ""),
      );
      if (verbose && d.timeline) {
        log(`${workload} timeline (ms from the first commit: commits/ms in commits, decisions, submits, results):`);
        for (const b of d.timeline) log(`  ${String(b.atMs).padStart(5)}  c ${b.commits}/${b.commitMs.toFixed(1)}  d ${b.decisions}  s ${b.submits}  r ${b.results}`);
      }
    }
    return r;
  }

  function figures(workload, r) {
    const edges = workload === "W1" ? SIZES.chain - 1 : null;
    return {
      wallMs: r.wallMs,
      perEdgeMs: edges ? r.wallMs / edges : null,
      tasksPerS: workload === "W2" || workload === "W3" ? (r.tasks / r.wallMs) * 1000 : null,
      peakRssMb: r.driverMaxRssMb,
      workerPeakRssMb: r.workerPeakRssMb.length > 0 ? Math.max(...r.workerPeakRssMb) : null,
      workerPeakRssSumMb: sum(r.workerPeakRssMb),
      loadMs: r.loadMs,
      setupMs: r.setupMs,
      driverCpuMs: r.driverCpuMs,
      workerCpuMs: sum(r.workerCpuMs),
      workerRunCpuMs: r.workerRunCpuMs,
      workers: r.workers,
      tasks: r.tasks,
      ...(postgres ? commitFigures(r) : {}),
    };
  }

  /** W4, W6: dist/bench-service-harness.js in its own process (a SchedulerService over the store and pool). */
  async function service(workload, extra) {
    const home = freshHome();
    const config = { workload, home, capMs: CAP_MS, diagnose, ...(process.env.BENCH_WORKERS ? { workers: Number(process.env.BENCH_WORKERS) } : {}), ...extra };
    const nodeArgs = [];
    if (cpuProfDir) {
      nodeArgs.push("--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `${workload}-${homeCounter}.cpuprofile`);
      config.workerCpuProfDir = cpuProfDir;
    }
    const result = await exec(process.execPath, [...nodeArgs, serviceHarness, JSON.stringify(config)], {});
    if (result.code !== 0) throw new Error(`service harness ${workload} exited ${result.code}: ${result.stderr.trim()}`);
    const r = JSON.parse(result.stdout.trim().split("\n").pop());
    rmSync(home, { recursive: true, force: true });
    if (r.errors.length > 0) log(`${workload}: the scheduler reported: ${r.errors.join(" | ")}`);
    if (r.storeCalls) log(`${workload} store calls (calls, ms awaited): ${r.storeCalls.slice(0, 8).map((c) => `${c.method} ${c.calls} ${c.ms.toFixed(0)}`).join("; ")}`);
    const common = { peakRssMb: r.driverMaxRssMb, workerPeakRssMb: r.workerPeakRssMb.length > 0 ? Math.max(...r.workerPeakRssMb) : null };
    if (workload === "W4") {
      const b = r.backfill;
      const bad = Object.entries(b.states).filter(([s]) => s !== "success");
      if (!b.capped && (bad.length > 0 || b.instancesSuccess !== b.tasks)) throw new Error(`W4: backfill runs did not all succeed: ${JSON.stringify(b.states)}, ${b.instancesSuccess}/${b.tasks} instances`);
      return { runs: b.runs, tasks: b.tasks, createMs: b.createMs, doneMs: b.doneMs, startMs: b.startMs, firstRunningMs: b.firstRunningMs, backfillEndedMs: b.backfillEndedMs, peakRunning: b.peakRunning, capped: b.capped, ...common };
    }
    const s = r.schedules;
    // Runs: the catch-up, the untimed warm-up minute, and the timed minutes.
    const bad = Object.entries(s.states).filter(([state]) => state !== "success");
    if (!s.capped && (bad.length > 0 || s.runs !== SIZES.schedules * (SIZES.minutes + 2))) throw new Error(`W6: runs did not all succeed: ${JSON.stringify(s.states)} (${s.runs} runs)`);
    if (s.boundaries) log(`W6 after each interval's end (ms): ${s.boundaries.map((b) => `due runs created ${b.createdMs?.toFixed(0)}, queued listed ${b.queuedListedMs?.toFixed(0)}, first commit ${b.firstCommitStartMs?.toFixed(0)}–${b.firstCommitEndMs?.toFixed(0)}`).join("; ")}`);
    const { states: _states, boundaries: _boundaries, ...figs } = s;
    return { ...figs, ...common };
  }

  /** W5: one run of each shape, each in its own harness process. */
  async function dag() {
    const out = {};
    for (const [shape, file] of [["fanout", files.dagFanout], ["layered", files.dagLayered]]) {
      const r = await inProcess("W5", file, 1, { dag: { forkFile: files.one, capMs: CAP_MS } });
      const d = r.dag;
      const heapMb = d.heapLiveMidMb ?? d.heapAfterMb;
      out[shape] = {
        tasks: r.tasks,
        validateMs: d.validateMs,
        saveVersionMs: d.saveVersionMs,
        createRunMs: d.createRunMs,
        firstRunningMs: d.firstRunningMs,
        doneMs: d.capped ? null : r.wallMs,
        done: d.done,
        capped: d.capped,
        msPerTenth: d.tenths.map((t, i) => t - (i === 0 ? 0 : d.tenths[i - 1])),
        heapBytesPerInstance: (heapMb * 1024 * 1024) / r.tasks,
        heapLiveMidMb: d.heapLiveMidMb,
        heapBeforeMb: d.heapBeforeMb,
        heapPeakMb: d.heapPeakMb,
        heapAfterMb: d.heapAfterMb,
        peakRssMb: r.driverMaxRssMb,
        workerPeakRssMb: r.workerPeakRssMb.length > 0 ? Math.max(...r.workerPeakRssMb) : null,
        driverCpuMs: r.driverCpuMs,
        workerRunCpuMs: r.workerRunCpuMs,
        ...(postgres ? commitFigures(r) : {}),
      };
    }
    return out;
  }

  const RUNNERS = {
    W0: () => w0(),
    W1: async () => figures("W1", await inProcess("W1", files.chain, 1)),
    W2: async () => figures("W2", await inProcess("W2", files.fanout, 1)),
    W3: async () => figures("W3", await inProcess("W3", files.diamond, SIZES.runs)),
    W4: () => service("W4", { file: files.daily, days: SIZES.days }),
    W5: () => dag(),
    W6: () => service("W6", { dir: scheduleDir, pipelines: SIZES.schedules, minutes: SIZES.minutes }),
    W7: async () => w7Figures(figures("W7", await inProcess("W7", files.map, 1)), quick),
    // W8 drives `weir scheduler` + `weir triggerer` itself (bench/w8-sensors.mjs); its pipeline goes beside the others.
    W8: () => runW8({ cli, work: dirname(files.one), home: freshHome(), quick, capMs: 2 * CAP_MS, log }),
  };

  return RUNNERS;
}
