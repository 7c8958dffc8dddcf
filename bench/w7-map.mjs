// W7 map-10k (bench/README.md): one task returns an array of 10,000 numbers, one mapped task runs once per
// element, one task reduces the 10,000 results. Driven in-process like W1–W3 (dist/bench-harness.js: the
// SQLite store, the LocalWorkerPool and the Coordinator); timed from the first startRun to the run's end.
// The figure judged is mapped instances per second: 10,000 ÷ that wall time. Registered in bench/run.mjs.

/** Elements mapped over: 10,000 (1,000 with --quick). */
export const mapSize = (quick) => (quick ? 1_000 : 10_000);

export function w7Workload(quick) {
  return { name: `map-${mapSize(quick) >= 1000 ? `${mapSize(quick) / 1000}k` : mapSize(quick)}`, metric: "tasksPerS", min: 10_000, bar: "≥ 10,000 mapped instances/s" };
}

export function w7Pipeline(quick) {
  return `import { pipeline } from "weir";
export default pipeline({ id: "bench_map", schedule: null }, (p) => {
  const items = p.task("items", async () => Array.from({ length: ${mapSize(quick)} }, (_, i) => i));
  const doubled = p.task("double", { map: items }, async (_ctx, n) => n * 2);
  p.task("reduce", { needs: { doubled } }, async (_ctx, { doubled }) => doubled.reduce((a, b) => a + b, 0));
});
`;
}

/** The harness counts graph tasks (3); W7's figure counts mapped instances. */
export function w7Figures(fig, quick) {
  return { ...fig, tasks: mapSize(quick) + 2, tasksPerS: (mapSize(quick) / fig.wallMs) * 1000 };
}
