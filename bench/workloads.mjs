// bench/run.mjs's workloads: the bars each is judged by (bench/README.md) and the pipelines they run, written
// as files into the bench's scratch folder so the CLI and the harnesses load them as a user's pipeline.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { w7Pipeline, w7Workload } from "./w7-map.mjs";
import { w8Workload } from "./w8-sensors.mjs";
import { postgresWorkloads } from "./postgres.mjs";

/** The bars of bench/README.md. `metric` is the figure judged; `max`/`min` its limit. */
export function workloadTable(SIZES, quick, onPostgres) {
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
  WORKLOADS.W8 = w8Workload(quick);
  if (onPostgres) {
    const measured = postgresWorkloads(SIZES);
    for (const w of Object.keys(WORKLOADS)) if (!(w in measured)) delete WORKLOADS[w];
    Object.assign(WORKLOADS, measured);
  }
  return WORKLOADS;
}

/** Writes every workload's pipeline into `work`; returns their files and W6's folder of schedules. */
export function writePipelines(work, SIZES, quick) {
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
  return { files, scheduleDir };
}
