import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "../../src/define/pipeline.js";
import { compilePipeline } from "../../src/graph/compile-pipeline.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Decision } from "../../src/engine/types.js";
const N = Number(process.argv[2] ?? 2000);
const spec = pipeline({ id: "fan" }, (p) => { for (let i = 0; i < N; i++) p.task(`t${i}`, () => 1); }).spec;
const graph = compilePipeline(spec, "/x.ts").graph!;
const store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sb-")), "weir.db") });
await store.migrate();
await store.savePipelineVersion(graph, Date.now());
await store.createRun({ id: "r1", pipelineId: "fan", version: graph.version, trigger: "manual", logicalDateMs: 0, intervalStartMs: 0, intervalEndMs: 0, params: {}, file: "/x.ts", taskIds: graph.order }, Date.now());
const sched: Decision[] = [{ runId: "r1", nowMs: 1, transitions: graph.order.map((t) => ({ taskId: t, mapIndex: -1, from: "pending", to: "scheduled", tryNumber: 0 })), actions: [], timers: [], run: { from: "queued", to: "running" } }];
await store.applyDecisions(sched);
const t0 = performance.now(); const c0 = process.cpuUsage();
for (let b = 0; b < N; b += 32) {
  const ds: Decision[] = [];
  for (let i = b; i < Math.min(N, b + 32); i++) ds.push({ runId: "r1", nowMs: 2, transitions: [{ taskId: `t${i}`, mapIndex: -1, from: "scheduled", to: "queued", tryNumber: 1 }, { taskId: `t${i}`, mapIndex: -1, from: "queued", to: "running", tryNumber: 1, worker: "local" }], actions: [], timers: [] });
  await store.applyDecisions(ds);
  const done: Decision[] = [];
  for (let i = b; i < Math.min(N, b + 32); i++) done.push({ runId: "r1", nowMs: 3, transitions: [{ taskId: `t${i}`, mapIndex: -1, from: "running", to: "success", tryNumber: 1, output: "1", startedMs: 2 }], actions: [], timers: [] });
  await store.applyDecisions(done);
}
const c = process.cpuUsage(c0);
console.log(`${((performance.now() - t0) * 1000 / N).toFixed(1)} µs/task wall, ${((c.user + c.system) / N).toFixed(1)} µs/task cpu`);
