// How quick this machine is at the moment, printed with the figures: a bare Node process's start (`node -e 0`,
// the floor under W0) and a fixed piece of JS work (object churn, JSON, a Map). Shared machines drift by tens
// of percent within minutes; a figure read next to these two is a figure that can be compared.
import { execFileSync } from "node:child_process";

const STARTS = 5;

/** `{ nodeStartMs, jsMs }`: the mean of 5 `node -e 0` runs, and the fixed JS work once. */
export function probeMachine() {
  const startAt = performance.now();
  for (let i = 0; i < STARTS; i++) execFileSync(process.execPath, ["-e", "0"], { stdio: "ignore" });
  const nodeStartMs = (performance.now() - startAt) / STARTS;
  const jsAt = performance.now();
  let sink = 0;
  for (let round = 0; round < 40; round++) {
    const map = new Map();
    for (let i = 0; i < 20_000; i++) map.set(`k${i}`, { i, s: String(i) });
    sink += JSON.parse(JSON.stringify([...map.values()].slice(0, 5_000))).length + map.size;
  }
  const jsMs = performance.now() - jsAt;
  // Reading `sink` keeps the work from being optimized away.
  if (sink === 0) throw new Error("machine probe: the fixed work did nothing");
  return { nodeStartMs, jsMs };
}

/** One line for the report: the probe before and after the workloads. */
export function machineLine(before, after) {
  const caCerts = process.env.NODE_EXTRA_CA_CERTS ? "; NODE_EXTRA_CA_CERTS is set (see Caveats)" : "";
  const f = (p) => `node -e 0 ${p.nodeStartMs.toFixed(0)} ms, fixed JS work ${p.jsMs.toFixed(0)} ms`;
  return `machine before: ${f(before)}; after: ${f(after)}${caCerts}.\n`;
}
