// Weir's benchmarks (bench/README.md). `npm run bench` builds dist/ and runs this file.
//
//   node bench/run.mjs [--json] [--only W0,W2] [--quick] [--reps N] [--cpu-prof DIR] [--diagnose] [--verbose]
//
// W0 times the CLI (`node bin/weir.js run`) as a child process; W1–W3 run dist/bench-harness.js (built
// from bench/harness.ts), which drives the store + LocalWorkerPool + Coordinator in-process. Every
// repetition is a fresh process with a fresh WEIR_HOME (a real SQLite file), so peak RSS is per run.
// Pipelines are generated into bench/.tmp-<hex>/ inside the package, so `import "weir"` resolves.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const harness = join(root, "dist", "bench-harness.js");
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
const known = new Set(["--json", "--only", "--quick", "--reps", "--cpu-prof", "--diagnose", "--verbose", "--help"]);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i])) fail(`unknown argument ${args[i]} (try --help)`);
  if (["--only", "--reps", "--cpu-prof"].includes(args[i])) i++;
}
if (flag("--help")) {
  process.stdout.write("usage: node bench/run.mjs [--json] [--only W0,W1,W2,W3] [--quick] [--reps N] [--cpu-prof DIR] [--diagnose] [--verbose]\n");
  process.exit(0);
}
const json = flag("--json");
const quick = flag("--quick");
const verbose = flag("--verbose");
const diagnose = flag("--diagnose");
const reps = Number(option("--reps") ?? (quick ? 1 : 3));
if (!Number.isInteger(reps) || reps < 1) fail("--reps must be a positive integer");
const cpuProfDir = option("--cpu-prof");

const SIZES = quick ? { chain: 20, fanout: 200, runs: 10, coldRuns: 1 } : { chain: 200, fanout: 2000, runs: 100, coldRuns: 5 };

/** The bars of bench/README.md. `metric` is the figure judged; `max`/`min` its limit. */
const WORKLOADS = {
  W0: { name: "cold: weir run, 1 task", metric: "wallMs", max: 300, bar: "wall ≤ 300 ms" },
  W1: { name: `chain-${SIZES.chain}`, metric: "perEdgeMs", max: 0.5, bar: "≤ 0.5 ms/edge" },
  W2: { name: `fanout-${SIZES.fanout}`, metric: "tasksPerS", min: 10_000, bar: "≥ 10,000 tasks/s" },
  W3: { name: `runs-${SIZES.runs} (diamond)`, metric: "wallMs", max: 100, bar: "wall ≤ 100 ms" },
};

const only = option("--only");
const selected = only === undefined ? Object.keys(WORKLOADS) : only.split(",").map((s) => s.trim().toUpperCase());
for (const w of selected) if (!(w in WORKLOADS)) fail(`unknown workload ${w} (known: ${Object.keys(WORKLOADS).join(", ")})`);

if (!existsSync(harness)) fail(`${harness} is missing: run \`npm run build\` first (npm run bench does)`);

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

async function inProcess(workload, file, runs) {
  const home = freshHome();
  const config = { workload, file, home, runs, diagnose, warm: process.env.BENCH_WARM === "1", ...(process.env.BENCH_WORKERS ? { workers: Number(process.env.BENCH_WORKERS) } : {}), ...(diagnose ? { workerScript: join(here, "timed-worker.mjs") } : {}) };
  const nodeArgs = [];
  if (cpuProfDir) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `${workload}-${homeCounter}.cpuprofile`);
  const result = await exec(process.execPath, [...nodeArgs, harness, JSON.stringify(config)], {});
  if (result.code !== 0) throw new Error(`harness ${workload} exited ${result.code}: ${result.stderr.trim()}`);
  const r = JSON.parse(result.stdout.trim().split("\n").pop());
  const bad = Object.entries(r.states).filter(([s]) => s !== "success");
  if (bad.length > 0) throw new Error(`${workload}: runs did not all succeed: ${JSON.stringify(r.states)}`);
  rmSync(home, { recursive: true, force: true });
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
  };
}

const RUNNERS = {
  W0: () => w0(),
  W1: async () => figures("W1", await inProcess("W1", files.chain, 1)),
  W2: async () => figures("W2", await inProcess("W2", files.fanout, 1)),
  W3: async () => figures("W3", await inProcess("W3", files.diamond, SIZES.runs)),
};

function medianOf(samples) {
  const out = {};
  for (const key of Object.keys(samples[0])) {
    const values = samples.map((s) => s[key]);
    out[key] = typeof values[0] === "number" || values[0] === null ? median(values) : values[0];
  }
  return out;
}

function passes(workload, fig) {
  const w = WORKLOADS[workload];
  const value = fig[w.metric];
  if (value === null || value === undefined) return null;
  return w.max !== undefined ? value <= w.max : value >= w.min;
}

const results = {};
const started = performance.now();
try {
  for (const workload of selected) {
    const samples = [];
    for (let i = 0; i < reps; i++) {
      const fig = await RUNNERS[workload]();
      samples.push(fig);
      log(
        `${workload} rep ${i + 1}/${reps}: wall ${fig.wallMs.toFixed(1)} ms` +
          (fig.perEdgeMs !== null ? `, ${fig.perEdgeMs.toFixed(3)} ms/edge` : "") +
          (fig.tasksPerS !== null ? `, ${Math.round(fig.tasksPerS)} tasks/s` : "") +
          (fig.loadMs !== null ? `, load ${fig.loadMs.toFixed(0)} ms, setup ${fig.setupMs.toFixed(0)} ms` : "") +
          (fig.driverCpuMs !== undefined ? `, driver CPU ${fig.driverCpuMs.toFixed(0)} ms, workers CPU ${fig.workerCpuMs.toFixed(0)} ms (×${fig.workers}; ${fig.workerRunCpuMs?.toFixed(0)} ms in the timed part)` : "") +
          (fig.detail ? ` (${fig.detail})` : ""),
      );
    }
    results[workload] = { ...medianOf(samples), samples: samples.map((s) => s[WORKLOADS[workload].metric]) };
  }
} catch (error) {
  cleanUp();
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
cleanUp();

const round = (x, digits) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

if (json) {
  const doc = {};
  for (const [workload, r] of Object.entries(results)) {
    doc[workload] = {
      wallMs: round(r.wallMs, 2),
      perEdgeMs: round(r.perEdgeMs, 4),
      tasksPerS: round(r.tasksPerS, 0),
      peakRssMb: round(r.peakRssMb, 1),
      workerPeakRssMb: round(r.workerPeakRssMb, 1),
      loadMs: round(r.loadMs, 1),
      pass: passes(workload, r),
    };
  }
  process.stdout.write(`${JSON.stringify(doc)}\n`);
} else {
  const rows = [["workload", "wall ms", "per-edge ms", "tasks/s", "peak RSS MB (driver / worker)", "load ms", "bar", "pass"]];
  for (const [workload, r] of Object.entries(results)) {
    const ok = passes(workload, r);
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
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => (c === 0 || c >= 6 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  process.stdout.write(`${line(rows[0])}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const row of rows.slice(1)) process.stdout.write(`${line(row)}\n`);
  process.stdout.write(
    `\nmedians of ${reps} repetition${reps === 1 ? "" : "s"}${quick ? " (--quick sizes)" : ""}; W0 each = median of ${SIZES.coldRuns} cold runs; ` +
      `${Math.round((performance.now() - started) / 1000)} s in all. Node ${process.version}, ${(await import("node:os")).availableParallelism()} CPUs.\n`,
  );
}
