// W8 sensors-1000 (bench/README.md): 1,000 deferred file sensors wait (each for its own file, poke 1 s), each
// with one downstream task. Driven as production runs it: `weir scheduler <dir>` and `weir triggerer` as child
// processes on a fresh WEIR_HOME (SQLite), the run created with `weir trigger`. Measured: the CPU of the
// scheduler and of the trigger loop (with its check workers) while all 1,000 wait; then the files appear one
// at a time, spread over a window so that the downstream tasks don't queue behind each other, and each
// file's latency is from its write to its downstream task committed running (`startedAt` in the store).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Sensors (1,000; 100 with --quick), poke interval, and how long the waiting CPU is measured. */
export const w8Sizes = (quick) => ({ sensors: quick ? 100 : 1_000, pokeMs: 1_000, idleMs: quick ? 3_000 : 10_000, spreadMs: quick ? 2_000 : 10_000 });

export function w8Workload(quick) {
  const { sensors, pokeMs } = w8Sizes(quick);
  return {
    name: `sensors-${sensors >= 1000 ? `${sensors / 1000}k` : sensors}`,
    bars: [["latencyP99Ms", "latencyP99Ms", pokeMs + 50]],
    bar: `file → downstream running p99 ≤ poke (${pokeMs} ms) + 50 ms`,
  };
}

export function w8Pipeline(quick, inDir) {
  const { sensors, pokeMs } = w8Sizes(quick);
  return `import { pipeline, fileSensor } from "weir";
export default pipeline({ id: "bench_sensors", schedule: null }, (p) => {
  for (let i = 0; i < ${sensors}; i++) {
    const landed = p.sensor(\`s\${i}\`, { pokeInterval: "${pokeMs}ms" }, fileSensor({ path: \`${inDir}/f\${i}\` }));
    p.task(\`d\${i}\`, { after: [landed] }, async () => i);
  }
});
`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_S = 100;

/** utime + stime of a process and of its children alive now (its workers), in ms; 0 for a gone process. */
function cpuMs(pid, withChildren) {
  let total = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    total += ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
    if (withChildren) {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      for (const child of children) total += cpuMs(Number(child), false);
    }
  } catch {
    // gone
  }
  return total;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One repetition. `cli` is bin/weir.js, `work` a folder inside the package (so "weir" resolves), `home` a
 * fresh WEIR_HOME, `capMs` the cap after which it gives up.
 */
export async function runW8({ cli, work, home, quick, capMs, log }) {
  const { sensors, pokeMs, idleMs, spreadMs } = w8Sizes(quick);
  const dir = join(work, `w8-${Date.now()}`);
  const inDir = join(dir, "in");
  mkdirSync(inDir, { recursive: true });
  writeFileSync(join(dir, "sensors.ts"), w8Pipeline(quick, inDir));
  const env = { ...process.env, WEIR_HOME: home, NODE_OPTIONS: "" };
  const children = [];
  const start = (args) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "ignore", "ignore"] });
    children.push(child);
    return child;
  };
  const weir = (args) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("close", (code) => resolve({ code, out }));
    });
  const until = Date.now() + capMs;
  const capped = () => Date.now() > until;
  try {
    const scheduler = start(["scheduler", dir]);
    const triggerer = start(["triggerer"]);
    let runId = null;
    while (runId === null && !capped()) {
      const made = await weir(["trigger", "bench_sensors", "--json"]);
      if (made.code === 0) runId = JSON.parse(made.out).run?.id ?? JSON.parse(made.out).id;
      else await sleep(200);
    }
    const tasks = async () => JSON.parse((await weir(["tasks", runId, "--json"])).out).tasks;
    const deferredSince = Date.now();
    for (;;) {
      if (capped()) throw new Error("W8: the sensors were not all deferred before the cap");
      const list = await tasks();
      if (list.filter((t) => t.id.startsWith("s") && t.state === "deferred").length === sensors) break;
      await sleep(200);
    }
    log?.(`W8: ${sensors} sensors deferred after ${Date.now() - deferredSince} ms; measuring ${idleMs} ms of waiting`);
    const sample = () => ({ scheduler: cpuMs(scheduler.pid, false), loop: cpuMs(triggerer.pid, false), all: cpuMs(triggerer.pid, true), at: Date.now() });
    const before = sample();
    await sleep(idleMs);
    const after = sample();
    const waitedS = (after.at - before.at) / 1000;
    // One file every spreadMs / sensors, in a shuffled order: their phases against the pokes are spread too.
    const order = Array.from({ length: sensors }, (_, i) => i).sort(() => Math.random() - 0.5);
    const written = new Array(sensors);
    const gap = spreadMs / sensors;
    const t0 = Date.now();
    for (const [n, i] of order.entries()) {
      const due = t0 + n * gap;
      if (due > Date.now()) await sleep(due - Date.now());
      writeFileSync(join(inDir, `f${i}`), "x");
      written[i] = Date.now();
    }
    let list = [];
    for (;;) {
      if (capped()) throw new Error("W8: the downstream tasks did not all start before the cap");
      list = await tasks();
      if (list.filter((t) => t.id.startsWith("d") && t.startedAt).length === sensors) break;
      await sleep(500);
    }
    const latencies = list
      .filter((t) => t.id.startsWith("d"))
      .map((t) => Date.parse(t.startedAt) - written[Number(t.id.slice(1))])
      .sort((a, b) => a - b);
    return {
      sensors,
      pokeMs,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      latencyMaxMs: latencies[latencies.length - 1],
      schedulerCpuMsPerS: (after.scheduler - before.scheduler) / waitedS,
      triggererCpuMsPerS: (after.loop - before.loop) / waitedS,
      checkWorkersCpuMsPerS: (after.all - after.loop - (before.all - before.loop)) / waitedS,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : null)));
  }
}

// Alone: `node bench/w8-sensors.mjs [--quick]` (needs a built dist/), one repetition, figures as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { dirname } = await import("node:path");
  const root = dirname(dirname(new URL(import.meta.url).pathname));
  const work = mkdtempSync(join(root, "bench", ".tmp-w8-"));
  const home = mkdtempSync(join(tmpdir(), "weir-w8-"));
  try {
    const fig = await runW8({ cli: join(root, "bin", "weir.js"), work, home, quick: process.argv.includes("--quick"), capMs: 180_000, log: (m) => process.stderr.write(`${m}\n`) });
    process.stdout.write(`${JSON.stringify(fig, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
