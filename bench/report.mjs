// bench/run.mjs's figures: medians over repetitions, the verdict on each bar, and the output (one JSON
// document with --json, else a table for W0–W3 and W7 and a block each for W4–W6).
import { availableParallelism } from "node:os";
import { CAP_MS } from "./options.mjs";
import { postgresLines } from "./postgres.mjs";
import { median } from "./runners.mjs";


export function medianOf(samples) {
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
export function barResults(workloads, workload, fig) {
  const out = {};
  const shapes = workload === "W5" ? Object.entries(fig).filter(([, v]) => v && typeof v === "object" && !Array.isArray(v)) : [[null, fig]];
  for (const [shape, f] of shapes) {
    for (const [label, key, max] of workloads[workload].bars) {
      const value = f[key];
      out[shape ? `${shape}.${label}` : label] = value === null || value === undefined || f.capped ? false : value <= max;
    }
  }
  return out;
}

export function passes(workloads, workload, fig) {
  const w = workloads[workload];
  if (w.bars) return Object.values(barResults(workloads, workload, fig)).every(Boolean);
  if (w.max === undefined && w.min === undefined) return null;
  const value = fig[w.metric];
  if (value === null || value === undefined) return null;
  return w.max !== undefined ? value <= w.max : value >= w.min;
}

const round = (x, digits) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));
/** Numbers rounded to `digits`, deep (W4–W6's JSON). */
const roundDeep = (v, digits = 2) =>
  typeof v === "number" ? round(v, digits) : Array.isArray(v) ? v.map((x) => roundDeep(x, digits)) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x, digits)])) : v;

/** One line of W0–W3 and W7's figures for --verbose (and the default progress) per repetition. */
export function repetitionLine(fig) {
  return (
    `wall ${fig.wallMs.toFixed(1)} ms` +
    (fig.perEdgeMs !== null ? `, ${fig.perEdgeMs.toFixed(3)} ms/edge` : "") +
    (fig.tasksPerS !== null ? `, ${Math.round(fig.tasksPerS)} tasks/s` : "") +
    (fig.commitsPerTask !== undefined ? `, ${fig.commits} commits (${fig.commitsPerTask.toFixed(3)} per task)` : "") +
    (fig.loadMs !== null ? `, load ${fig.loadMs.toFixed(0)} ms, setup ${fig.setupMs.toFixed(0)} ms` : "") +
    (fig.driverCpuMs !== undefined ? `, driver CPU ${fig.driverCpuMs.toFixed(0)} ms, workers CPU ${fig.workerCpuMs.toFixed(0)} ms (×${fig.workers}; ${fig.workerRunCpuMs?.toFixed(0)} ms in the timed part)` : "") +
    (fig.detail ? ` (${fig.detail})` : "")
  );
}

/** One line of W4–W6's figures (the table's "figures" column and --verbose's per-repetition line). */
export function summary(workload, f, perRep = false) {
  const ms = (x) => (x === null || x === undefined ? "–" : `${Math.round(x)} ms`);
  const rss = `RSS ${f.peakRssMb?.toFixed(0) ?? "?"} / ${f.workerPeakRssMb?.toFixed(0) ?? "–"} MB`;
  if (workload === "W4") {
    return `created ${ms(f.createMs)}; all done ${ms(f.doneMs)}${f.capped ? " (CAPPED)" : ""} · first try running ${ms(f.firstRunningMs)}, at most ${f.peakRunning} runs running; ${rss}`;
  }
  if (workload === "W8") {
    const perS = (x) => (x === null || x === undefined ? "–" : `${Math.round(x)} ms/s`);
    return `file → downstream running p50 ${ms(f.latencyP50Ms)}, p99 ${ms(f.latencyP99Ms)}, max ${ms(f.latencyMaxMs)} · CPU while ${f.sensors} wait: scheduler ${perS(f.schedulerCpuMsPerS)}, trigger loop ${perS(f.triggererCpuMsPerS)} (its check workers ${perS(f.checkWorkersCpuMsPerS)})`;
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

/** Writes the results: `started` is when the bench began (performance.now()), for the closing line. */
export function printResults({ results, workloads, opts, SIZES, postgres, started }) {
  const { json, reps, quick, explicitReps } = opts;
  const selected = Object.keys(results);
  if (json) {
    const doc = {};
    for (const [workload, r] of Object.entries(results)) {
      if (workloads[workload].bars) {
        doc[workload] = { ...roundDeep(r), bars: barResults(workloads, workload, r), pass: passes(workloads, workload, r) };
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
        pass: passes(workloads, workload, r),
      };
    }
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  } else {
    const rows = [["workload", "wall ms", "per-edge ms", "tasks/s", "peak RSS MB (driver / worker)", "load ms", "bar", "pass"]];
    /** W4–W6: [title, figures, bar, verdict], printed as blocks (their figures don't fit columns). */
    const more = [];
    for (const [workload, r] of Object.entries(results)) {
      const ok = passes(workloads, workload, r);
      if (workloads[workload].bars) {
        const verdict = (bars) => (Object.values(bars).every(Boolean) ? "PASS" : `FAIL (${Object.entries(bars).filter(([, v]) => !v).map(([k]) => k).join(", ")})`);
        if (workload === "W5") {
          for (const shape of ["fanout", "layered"]) {
            const bars = Object.fromEntries(Object.entries(barResults(workloads, workload, r)).filter(([k]) => k.startsWith(`${shape}.`)).map(([k, v]) => [k.slice(shape.length + 1), v]));
            const what = shape === "fanout" ? `1 → ${SIZES.dagFanout.toLocaleString("en")} → 1` : `${SIZES.dagLayers} × ${SIZES.dagWidth.toLocaleString("en")}`;
            more.push([`W5 ${workloads.W5.name} ${shape} (${what})`, dagSummary(r[shape]), workloads.W5.bar, verdict(bars)]);
          }
        } else more.push([`${workload} ${workloads[workload].name}`, summary(workload, r), workloads[workload].bar, verdict(barResults(workloads, workload, r))]);
        continue;
      }
      rows.push([
        `${workload} ${workloads[workload].name}`,
        r.wallMs.toFixed(1),
        r.perEdgeMs === null ? "–" : r.perEdgeMs.toFixed(3),
        r.tasksPerS === null ? "–" : String(Math.round(r.tasksPerS)),
        `${r.peakRssMb === null ? "?" : r.peakRssMb.toFixed(0)} / ${r.workerPeakRssMb === null ? "–" : r.workerPeakRssMb.toFixed(0)}`,
        r.loadMs === null ? "–" : r.loadMs.toFixed(0),
        workloads[workload].bar,
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
    const once = ["W5", "W8"].filter((w) => selected.includes(w));
    const repsNote = once.length > 0 && explicitReps === undefined && reps !== 1 ? ` (${once.join(", ")}: 1)` : "";
    process.stdout.write(
      `\nmedians of ${reps} repetition${reps === 1 ? "" : "s"}${repsNote}${quick ? " (--quick sizes)" : ""}; W0 each = median of ${SIZES.coldRuns} cold runs; ` +
        `${Math.round((performance.now() - started) / 1000)} s in all. Node ${process.version}, ${availableParallelism()} CPUs.\n`,
    );
    if (postgres) process.stdout.write(postgresLines(postgres, results));
  }
}
