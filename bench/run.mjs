// Weir's benchmarks (bench/README.md). `npm run bench` builds dist/ and runs this file.
//
//   node bench/run.mjs [--json] [--only W0,W2] [--quick] [--reps N] [--cpu-prof DIR] [--diagnose] [--verbose]
//
// W0 times the CLI (`node bin/weir.js run`) as a child process; W1–W3 and W5 run dist/bench-harness.js (built
// from bench/harness.ts), which drives the store + LocalWorkerPool + Coordinator in-process; W4 and W6 run
// dist/bench-service-harness.js (bench/service-harness.ts): the same plus a SchedulerService. Every
// repetition is a fresh process with a fresh WEIR_HOME (a real SQLite file), so peak RSS is per run.
// `--store postgres` runs W1–W3 and W5 on Postgres instead (bench/postgres.mjs).
// Pipelines are generated into bench/.tmp-<hex>/ inside the package, so `import "weir"` resolves.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { w7Figures, w7Pipeline, w7Workload } from "./w7-map.mjs";
import { commitFigures, POSTGRES_WORKERS, postgresLines, postgresWorkloads, startBenchPostgres } from "./postgres.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const harness = join(root, "dist", "bench-harness.js");
const serviceHarness = join(root, "dist", "bench-service-harness.js");
const cli = join(root, "bin", "weir.js");

// --- arguments ---

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) fail(`${name} needs a value`);
  return value;
};
const known = new Set(["--json", "--only", "--quick", "--reps", "--cpu-prof", "--diagnose", "--verbose", "--help", "--store"]);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i])) fail(`unknown argument ${args[i]} (try --help)`);
  if (["--only", "--reps", "--cpu-prof", "--store"].includes(args[i])) i++;
}
if (flag("--help")) {
  process.stdout.write("usage: node bench/run.mjs [--json] [--only W0,W1,W2,W3,W4,W5,W6,W7] [--quick] [--reps N] [--cpu-prof DIR] [--diagnose] [--verbose] [--store sqlite|postgres]\n");
  process.exit(0);
}
const json = flag("--json");
const quick = flag("--quick");
const verbose = flag("--verbose");
const diagnose = flag("--diagnose");
const explicitReps = option("--reps");
const reps = Number(explicitReps ?? (quick ? 1 : 3));
if (!Number.isInteger(reps) || reps < 1) fail("--reps must be a positive integer");
/** W5 (two 100k-task runs, ~45 s each on 2 cores) runs once unless --reps says otherwise. */
const repsOf = (workload) => (workload === "W5" && explicitReps === undefined ? 1 : reps);
const cpuProfDir = option("--cpu-prof");
/** `--store postgres` (or BENCH_STORE=postgres): W1–W3 and W5 on Postgres (bench/postgres.mjs). */
const storeKind = option("--store") ?? process.env.BENCH_STORE ?? "sqlite";
if (storeKind !== "sqlite" && storeKind !== "postgres") fail(`--store must be sqlite or postgres, not ${storeKind}`);
const onPostgres = storeKind === "postgres";

const SIZES = quick
  ? { chain: 20, fanout: 200, runs: 10, coldRuns: 1, days: 30, dagFanout: 2_000, dagLayers: 10, dagWidth: 200, schedules: 100, minutes: 2 }
  : { chain: 200, fanout: 2000, runs: 100, coldRuns: 5, days: 365, dagFanout: 100_000, dagLayers: 100, dagWidth: 1_000, schedules: 1000, minutes: 5 };
/** W4 and W6 give up after this long, W5 each run: reported as `capped` (and a failed bar), never a hang. */
const CAP_MS = 60_000;

/** The bars of bench/README.md. `metric` is the figure judged; `max`/`min` its limit. */
const WORKLOADS = {
  W0: { name: "cold: weir run, 1 task", metric: "wallMs", max: 300, bar: "wall ≤ 300 ms" },
  W1: { name: `chain-${SIZES.chain}`, metric: "perEdgeMs", max: 0.5, bar: "≤ 0.5 ms/edge" },
  W2: { name: `fanout-${SIZES.fanout}`, metric: "tasksPerS", min: 10_000, bar: "≥ 10,000 tasks/s" },
  W3: { name: `runs-${SIZES.runs} (diamond)`, metric: "wallMs", max: 100, bar: "wall ≤ 100 ms" },
  // W4–W6 have several bars each: `bars` lists [label, figure key, max]; W5's apply to both of its shapes.
  W4: {
    name: `backfill-${SIZES.days} (chain-10)`,
    bars: [
      ["createMs", "createMs", 100],
      ["doneMs", "doneMs", 2000],
    ],
    bar: "created ≤ 100 ms; all done ≤ 2 s",
  },
  W5: {
    name: `dag-${SIZES.dagFanout >= 1000 ? `${SIZES.dagFanout / 1000}k` : SIZES.dagFanout}`,
    bars: [
      ["validateMs", "validateMs", 500],
      ["doneMs", "doneMs", 10_000],
      ["heapBytesPerInstance", "heapBytesPerInstance", 1024],
    ],
    bar: "validate ≤ 500 ms; done ≤ 10 s; heap ≤ 1 KB/instance",
  },
  W6: {
    name: `schedules-${SIZES.schedules}`,
    bars: [["lagP99Ms", "lagP99Ms", 50]],
    bar: "lag p99 ≤ 50 ms",
  },
};

WORKLOADS.W7 = w7Workload(quick);
if (onPostgres) {
  const measured = postgresWorkloads(SIZES);
  for (const w of Object.keys(WORKLOADS)) if (!(w in measured)) delete WORKLOADS[w];
  Object.assign(WORKLOADS, measured);
}

const only = option("--only");
const selected = only === undefined ? Object.keys(WORKLOADS) : only.split(",").map((s) => s.trim().toUpperCase());
for (const w of selected) if (!(w in WORKLOADS)) fail(`unknown workload ${w} (known: ${Object.keys(WORKLOADS).join(", ")})`);

for (const bundle of [harness, serviceHarness]) if (!existsSync(bundle)) fail(`${bundle} is missing: run \`npm run build\` first (npm run bench does)`);
const postgres = onPostgres
  ? await startBenchPostgres((m) => log(m)).catch((error) => {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exit(1);
    })
  : null;

// --- pipelines ---

const work = join(here, `.tmp-${randomBytes(4).toString("hex")}`);
mkdirSync(work, { recursive: true });
const homes = mkdtempSync(join(tmpdir(), "weir-bench-"));
let cleaned = false;
function cleanUp() {
  if (cleaned) return;
  cleaned = true;
  rmSync(work, { recursive: true, force: true });
  rmSync(homes, { recursive: true, force: true });
}
process.on("exit", cleanUp);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

const PIPELINES = {
  one: `import { pipeline } from "weir";
export default pipeline({ id: "bench_one", schedule: null }, (p) => {
  p.task("only", async () => 1);
});
`,
  chain: `import { pipeline } from "weir";
export default pipeline({ id: "bench_chain", schedule: null }, (p) => {
  let prev = p.task("t0", async () => 0);
  for (let i = 1; i < ${SIZES.chain}; i++) prev = p.task(\`t\${i}\`, { after: [prev] }, async () => i);
});
`,
  fanout: `import { pipeline } from "weir";
export default pipeline({ id: "bench_fanout", schedule: null }, (p) => {
  const root = p.task("root", async () => 0);
  const leaves = [];
  for (let i = 0; i < ${SIZES.fanout}; i++) leaves.push(p.task(\`leaf\${i}\`, { after: [root] }, async () => i));
  p.task("join", { after: leaves }, async () => ${SIZES.fanout});
});
`,
  diamond: `import { pipeline } from "weir";
export default pipeline({ id: "bench_diamond", schedule: null }, (p) => {
  const extract = p.task("extract", async () => [1, 2, 3]);
  const transform_a = p.task("transform_a", { needs: { extract } }, async (_ctx, { extract }) => extract.map((x) => x * 2));
  const transform_b = p.task("transform_b", { needs: { extract } }, async (_ctx, { extract }) => extract.length);
  p.task("load", { needs: { transform_a, transform_b } }, async (_ctx, { transform_a, transform_b }) => transform_a.length + transform_b);
});
`,
};
// W4: @daily, 10 tasks in a chain; maxActiveRuns above the backfill's size, so only the machine limits it.
PIPELINES.daily = `import { pipeline } from "weir";
export default pipeline({ id: "bench_daily", schedule: "@daily", start: "2023-01-01", maxActiveRuns: 400 }, (p) => {
  let prev = p.task("t0", async () => 0);
  for (let i = 1; i < 10; i++) prev = p.task(\`t\${i}\`, { after: [prev] }, async () => i);
});
`;
// W5: 1 root → N → 1 join, and L layers × W tasks, each after 2 tasks of the layer before.
PIPELINES.dagFanout = `import { pipeline } from "weir";
export default pipeline({ id: "bench_dag_fanout", schedule: null }, (p) => {
  const root = p.task("root", async () => 0);
  const leaves = [];
  for (let i = 0; i < ${SIZES.dagFanout}; i++) leaves.push(p.task(\`leaf\${i}\`, { after: [root] }, async () => i));
  p.task("join", { after: leaves }, async () => ${SIZES.dagFanout});
});
`;
PIPELINES.dagLayered = `import { pipeline } from "weir";
export default pipeline({ id: "bench_dag_layered", schedule: null }, (p) => {
  let previous = [];
  for (let l = 0; l < ${SIZES.dagLayers}; l++) {
    const layer = [];
    for (let j = 0; j < ${SIZES.dagWidth}; j++) {
      const after = l === 0 ? [] : [previous[j], previous[(j + 1) % ${SIZES.dagWidth}]];
      layer.push(p.task(\`t\${l}_\${j}\`, { after }, async () => j));
    }
    previous = layer;
  }
});
`;
PIPELINES.map = w7Pipeline(quick);
// W6: pipelines on "* * * * *", 10 files of exports (the registry loads the files in parallel through the pool).
const scheduleDir = join(work, "schedules");
mkdirSync(scheduleDir);
const perFile = SIZES.schedules / 10;
for (let f = 0; f < 10; f++) {
  const lines = ['import { pipeline } from "weir";'];
  for (let i = f * perFile; i < (f + 1) * perFile; i++) {
    lines.push(`export const p${i} = pipeline({ id: "every_minute_${i}", schedule: "* * * * *", start: "2025-01-01" }, (p) => {\n  p.task("tick", async () => ${i});\n});`);
  }
  writeFileSync(join(scheduleDir, `minutely_${f}.ts`), `${lines.join("\n")}\n`);
}

const files = {};
for (const [name, text] of Object.entries(PIPELINES)) {
  files[name] = join(work, `${name}.ts`);
  writeFileSync(files[name], text);
}

// --- running ---

let homeCounter = 0;
const freshHome = () => join(homes, `home-${++homeCounter}`);

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function log(message) {
  if (verbose || !json) process.stderr.write(`${message}\n`);
}

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

const median = (xs) => {
  const s = [...xs].filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

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
  const bad = Object.entries(s.states).filter(([state]) => state !== "success");
  if (!s.capped && (bad.length > 0 || s.runs !== SIZES.schedules * (SIZES.minutes + 1))) throw new Error(`W6: runs did not all succeed: ${JSON.stringify(s.states)} (${s.runs} runs)`);
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
};

/** Medians over repetitions, key by key: numbers (null when any repetition has none), element-wise for lists, nested objects alike. */
function medianOf(samples) {
  const out = {};
  for (const key of Object.keys(samples[0])) {
    const values = samples.map((s) => s[key]);
    if (typeof values[0] === "number" || values[0] === null) out[key] = values.some((v) => v === null) && typeof values[0] !== "number" ? null : median(values);
    else if (typeof values[0] === "boolean") out[key] = values.some(Boolean);
    else if (Array.isArray(values[0])) out[key] = values[0].map((_, i) => median(values.map((v) => v[i] ?? null)));
    else if (values[0] && typeof values[0] === "object") out[key] = medianOf(values);
    else out[key] = values[0];
  }
  return out;
}

/** Per bar of W4–W6: whether it is met ({ figure: bool }; W5 prefixes the shape). */
function barResults(workload, fig) {
  const out = {};
  const shapes = workload === "W5" ? Object.entries(fig).filter(([, v]) => v && typeof v === "object" && !Array.isArray(v)) : [[null, fig]];
  for (const [shape, f] of shapes) {
    for (const [label, key, max] of WORKLOADS[workload].bars) {
      const value = f[key];
      out[shape ? `${shape}.${label}` : label] = value === null || value === undefined || f.capped ? false : value <= max;
    }
  }
  return out;
}

function passes(workload, fig) {
  const w = WORKLOADS[workload];
  if (w.bars) return Object.values(barResults(workload, fig)).every(Boolean);
  if (w.max === undefined && w.min === undefined) return null;
  const value = fig[w.metric];
  if (value === null || value === undefined) return null;
  return w.max !== undefined ? value <= w.max : value >= w.min;
}

const results = {};
const started = performance.now();
try {
  for (const workload of selected) {
    const samples = [];
    const n = repsOf(workload);
    for (let i = 0; i < n; i++) {
      const fig = await RUNNERS[workload]();
      samples.push(fig);
      if (WORKLOADS[workload].bars) {
        log(`${workload} rep ${i + 1}/${n}: ${summary(workload, fig, true)}`);
        continue;
      }
      log(
        `${workload} rep ${i + 1}/${n}: wall ${fig.wallMs.toFixed(1)} ms` +
          (fig.perEdgeMs !== null ? `, ${fig.perEdgeMs.toFixed(3)} ms/edge` : "") +
          (fig.tasksPerS !== null ? `, ${Math.round(fig.tasksPerS)} tasks/s` : "") +
          (fig.commitsPerTask !== undefined ? `, ${fig.commits} commits (${fig.commitsPerTask.toFixed(3)} per task)` : "") +
          (fig.loadMs !== null ? `, load ${fig.loadMs.toFixed(0)} ms, setup ${fig.setupMs.toFixed(0)} ms` : "") +
          (fig.driverCpuMs !== undefined ? `, driver CPU ${fig.driverCpuMs.toFixed(0)} ms, workers CPU ${fig.workerCpuMs.toFixed(0)} ms (×${fig.workers}; ${fig.workerRunCpuMs?.toFixed(0)} ms in the timed part)` : "") +
          (fig.detail ? ` (${fig.detail})` : ""),
      );
    }
    results[workload] = WORKLOADS[workload].bars ? { ...medianOf(samples), reps: n } : { ...medianOf(samples), samples: samples.map((s) => s[WORKLOADS[workload].metric]) };
  }
} catch (error) {
  await postgres?.stop();
  cleanUp();
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
await postgres?.stop();
cleanUp();

const round = (x, digits) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));
/** Numbers rounded to `digits`, deep (W4–W6's JSON). */
const roundDeep = (v, digits = 2) =>
  typeof v === "number" ? round(v, digits) : Array.isArray(v) ? v.map((x) => roundDeep(x, digits)) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x, digits)])) : v;

/** One line of W4–W6's figures (the table's "figures" column and --verbose's per-repetition line). */
function summary(workload, f, perRep = false) {
  const ms = (x) => (x === null || x === undefined ? "–" : `${Math.round(x)} ms`);
  const rss = `RSS ${f.peakRssMb?.toFixed(0) ?? "?"} / ${f.workerPeakRssMb?.toFixed(0) ?? "–"} MB`;
  if (workload === "W4") {
    return `created ${ms(f.createMs)}; all done ${ms(f.doneMs)}${f.capped ? " (CAPPED)" : ""} · first try running ${ms(f.firstRunningMs)}, at most ${f.peakRunning} runs running; ${rss}`;
  }
  if (workload === "W5") return ["fanout", "layered"].map((shape) => `${shape}: ${dagSummary(f[shape])}`).join(perRep ? " | " : "\n");
  return (
    `lag p50 ${ms(f.lagP50Ms)}, p99 ${ms(f.lagP99Ms)}, max ${ms(f.lagMaxMs)}${f.capped ? " (CAPPED)" : ""} · CPU per simulated minute ${ms(f.cpuMsPerMinute)} ` +
    `(workers ${ms(f.workerCpuMsPerMinute)}); a 1 s step ${f.stepMs?.toFixed(1)} ms; a minute's runs all done ${ms(f.minuteDoneMs)}; ${rss}`
  );
}

function dagSummary(d) {
  const ms = (x) => (x === null || x === undefined ? "–" : `${Math.round(x)} ms`);
  const done = d.capped ? `CAPPED at ${CAP_MS / 1000} s with ${d.done}/${d.tasks} done` : `done ${ms(d.doneMs)}`;
  return (
    `validate ${ms(d.validateMs)}; ${done}; heap ${Math.round(d.heapBytesPerInstance)} B/instance · first try running ${ms(d.firstRunningMs)}; ` +
    `save version ${ms(d.saveVersionMs)}, create run ${ms(d.createRunMs)}; per tenth ${d.msPerTenth.map((x) => (x === null ? "–" : Math.round(x))).join("/")} ms; ` +
    `RSS ${d.peakRssMb?.toFixed(0)} / ${d.workerPeakRssMb?.toFixed(0) ?? "–"} MB` +
    (d.commitsPerTask !== undefined ? `; ${d.commits} commits (${d.commitsPerTask.toFixed(3)} per task)` : "")
  );
}

if (json) {
  const doc = {};
  for (const [workload, r] of Object.entries(results)) {
    if (WORKLOADS[workload].bars) {
      doc[workload] = { ...roundDeep(r), bars: barResults(workload, r), pass: passes(workload, r) };
      continue;
    }
    doc[workload] = {
      wallMs: round(r.wallMs, 2),
      perEdgeMs: round(r.perEdgeMs, 4),
      tasksPerS: round(r.tasksPerS, 0),
      peakRssMb: round(r.peakRssMb, 1),
      workerPeakRssMb: round(r.workerPeakRssMb, 1),
      loadMs: round(r.loadMs, 1),
      ...(r.commitsPerTask !== undefined ? { commits: r.commits, commitsPerTask: round(r.commitsPerTask, 3) } : {}),
      pass: passes(workload, r),
    };
  }
  process.stdout.write(`${JSON.stringify(doc)}\n`);
} else {
  const rows = [["workload", "wall ms", "per-edge ms", "tasks/s", "peak RSS MB (driver / worker)", "load ms", "bar", "pass"]];
  /** W4–W6: [title, figures, bar, verdict], printed as blocks (their figures don't fit columns). */
  const more = [];
  for (const [workload, r] of Object.entries(results)) {
    const ok = passes(workload, r);
    if (WORKLOADS[workload].bars) {
      const verdict = (bars) => (Object.values(bars).every(Boolean) ? "PASS" : `FAIL (${Object.entries(bars).filter(([, v]) => !v).map(([k]) => k).join(", ")})`);
      if (workload === "W5") {
        for (const shape of ["fanout", "layered"]) {
          const bars = Object.fromEntries(Object.entries(barResults(workload, r)).filter(([k]) => k.startsWith(`${shape}.`)).map(([k, v]) => [k.slice(shape.length + 1), v]));
          const what = shape === "fanout" ? `1 → ${SIZES.dagFanout.toLocaleString("en")} → 1` : `${SIZES.dagLayers} × ${SIZES.dagWidth.toLocaleString("en")}`;
          more.push([`W5 ${WORKLOADS.W5.name} ${shape} (${what})`, dagSummary(r[shape]), WORKLOADS.W5.bar, verdict(bars)]);
        }
      } else more.push([`${workload} ${WORKLOADS[workload].name}`, summary(workload, r), WORKLOADS[workload].bar, verdict(barResults(workload, r))]);
      continue;
    }
    rows.push([
      `${workload} ${WORKLOADS[workload].name}`,
      r.wallMs.toFixed(1),
      r.perEdgeMs === null ? "–" : r.perEdgeMs.toFixed(3),
      r.tasksPerS === null ? "–" : String(Math.round(r.tasksPerS)),
      `${r.peakRssMb === null ? "?" : r.peakRssMb.toFixed(0)} / ${r.workerPeakRssMb === null ? "–" : r.workerPeakRssMb.toFixed(0)}`,
      r.loadMs === null ? "–" : r.loadMs.toFixed(0),
      WORKLOADS[workload].bar,
      ok === null ? "?" : ok ? "PASS" : "FAIL",
    ]);
  }
  const table = (t, padLeft) => {
    const widths = t[0].map((_, c) => Math.max(...t.map((row) => row[c].length)));
    const line = (row) => row.map((cell, c) => (padLeft(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
    process.stdout.write(`${line(t[0])}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
    for (const row of t.slice(1)) process.stdout.write(`${line(row)}\n`);
  };
  if (rows.length > 1) table(rows, (c) => c > 0 && c < 6);
  if (rows.length > 1 && more.length > 0) process.stdout.write("\n");
  const titleWidth = Math.max(0, ...more.map(([title]) => title.length));
  for (const [title, figs, bar, verdict] of more) process.stdout.write(`${title.padEnd(titleWidth)}  ${verdict.padEnd(4)}  bar: ${bar}\n    ${figs}\n`);
  const repsNote = selected.includes("W5") && explicitReps === undefined && reps !== 1 ? ` (W5: 1)` : "";
  process.stdout.write(
    `\nmedians of ${reps} repetition${reps === 1 ? "" : "s"}${repsNote}${quick ? " (--quick sizes)" : ""}; W0 each = median of ${SIZES.coldRuns} cold runs; ` +
      `${Math.round((performance.now() - started) / 1000)} s in all. Node ${process.version}, ${(await import("node:os")).availableParallelism()} CPUs.\n`,
  );
  if (postgres) process.stdout.write(postgresLines(postgres, results));
}
