// bench/run.mjs's command line: the flags it knows, their checks (exit 2 with one message), and the sizes
// of the workloads (--quick shrinks them so a smoke test finishes in seconds).

export const USAGE =
  "usage: node bench/run.mjs [--json] [--only W0,W1,W2,W3,W4,W5,W6,W7,W8] [--quick] [--reps N] [--cpu-prof DIR] [--diagnose] [--verbose] [--store sqlite|postgres]\n";

/** W4 and W6 give up after this long, W5 each run: reported as `capped` (and a failed bar), never a hang. */
export const CAP_MS = 60_000;

export function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** Parses argv (without node and the script); exits 2 on bad input, 0 after --help. */
export function parseOptions(args, env = process.env) {
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
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = flag("--quick");
  const explicitReps = option("--reps");
  const reps = Number(explicitReps ?? (quick ? 1 : 3));
  if (!Number.isInteger(reps) || reps < 1) fail("--reps must be a positive integer");
  const cpuProfDir = option("--cpu-prof");
  /** `--store postgres` (or BENCH_STORE=postgres): W1–W3 and W5 on Postgres (bench/postgres.mjs). */
  const storeKind = option("--store") ?? env.BENCH_STORE ?? "sqlite";
  if (storeKind !== "sqlite" && storeKind !== "postgres") fail(`--store must be sqlite or postgres, not ${storeKind}`);
  return {
    json: flag("--json"),
    quick,
    verbose: flag("--verbose"),
    diagnose: flag("--diagnose"),
    explicitReps,
    reps,
    /** W5 (two 100k-task runs, ~45 s each on 2 cores) runs once unless --reps says otherwise. */
    repsOf: (workload) => ((workload === "W5" || workload === "W8") && explicitReps === undefined ? 1 : reps),
    cpuProfDir,
    onPostgres: storeKind === "postgres",
    only: option("--only"),
  };
}

export function sizesFor(quick) {
  return quick
    ? { chain: 20, fanout: 200, runs: 10, coldRuns: 1, days: 30, dagFanout: 2_000, dagLayers: 10, dagWidth: 200, schedules: 100, minutes: 2 }
    : { chain: 200, fanout: 2000, runs: 100, coldRuns: 5, days: 365, dagFanout: 100_000, dagLayers: 100, dagWidth: 1_000, schedules: 1000, minutes: 5 };
}
