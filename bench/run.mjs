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
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail, parseOptions, sizesFor } from "./options.mjs";
import { startBenchPostgres } from "./postgres.mjs";
import { medianOf, printResults, repetitionLine, summary } from "./report.mjs";
import { machineLine, probeMachine } from "./machine-probe.mjs";
import { harness, makeRunners, serviceHarness } from "./runners.mjs";
import { workloadTable, writePipelines } from "./workloads.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const opts = parseOptions(process.argv.slice(2));
const { json, quick, verbose, diagnose, cpuProfDir, onPostgres, only } = opts;
const SIZES = sizesFor(quick);
const WORKLOADS = workloadTable(SIZES, quick, onPostgres);

const selected = only === undefined ? Object.keys(WORKLOADS) : only.split(",").map((s) => s.trim().toUpperCase());
for (const w of selected) if (!(w in WORKLOADS)) fail(`unknown workload ${w} (known: ${Object.keys(WORKLOADS).join(", ")})`);

function log(message) {
  if (verbose || !json) process.stderr.write(`${message}\n`);
}

for (const bundle of [harness, serviceHarness]) if (!existsSync(bundle)) fail(`${bundle} is missing: run \`npm run build\` first (npm run bench does)`);
const postgres = onPostgres
  ? await startBenchPostgres((m) => log(m)).catch((error) => {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exit(1);
    })
  : null;

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

const { files, scheduleDir } = writePipelines(work, SIZES, quick);
const RUNNERS = makeRunners({ SIZES, quick, verbose, diagnose, cpuProfDir, files, scheduleDir, homes, postgres, log });

const results = {};
// Only the table shows it (the --json document is the workloads' figures alone, as documented).
const machineBefore = json ? null : probeMachine();
const started = performance.now();
try {
  for (const workload of selected) {
    const samples = [];
    const n = opts.repsOf(workload);
    for (let i = 0; i < n; i++) {
      const fig = await RUNNERS[workload]();
      samples.push(fig);
      log(`${workload} rep ${i + 1}/${n}: ${WORKLOADS[workload].bars ? summary(workload, fig, true) : repetitionLine(fig)}`);
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

printResults({ results, workloads: WORKLOADS, opts, SIZES, postgres, started });
if (machineBefore) process.stdout.write(machineLine(machineBefore, probeMachine()));
