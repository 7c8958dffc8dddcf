// What `p.sensor` compiles to: kind "sensor" with checked settings in the graph (durations in ms, a deferred
// check capped at 60 s), a version that follows the user's check, and each bad option reported with its task.
import { expect, it } from "vitest";
import { pipeline } from "../../src/define/pipeline.js";
import { compilePipeline } from "../../src/graph/compile-pipeline.js";
import { externalTaskSensor, fileSensor, sqlSensor } from "../../src/operators/sensors/index.js";

const FILE = "/pipelines/sensors.ts";

it("compiles a sensor's settings; worker mode has no per-try timeout, deferred checks are capped", () => {
  const { graph, problems } = compilePipeline(
    pipeline({ id: "s", schedule: null, defaults: { timeout: "2h" } }, (p) => {
      p.sensor("landed", { pokeInterval: "30s", timeout: "6h", softFail: true }, fileSensor({ path: "/data/in.csv" }));
      p.sensor("looping", { mode: "worker", pokeInterval: 500 }, () => true);
      p.sensor("other", externalTaskSensor({ pipeline: "ingest", offset: "-1d" }));
    }).spec,
    FILE,
  );
  expect(problems).toEqual([]);
  const byId = new Map(graph?.tasks.map((t) => [t.id, t]));
  expect(byId.get("landed")).toMatchObject({ kind: "sensor", timeoutMs: 60_000, sensor: { mode: "deferred", pokeIntervalMs: 30_000, timeoutMs: 21_600_000, softFail: true, waitsFor: "file /data/in.csv", probe: null } });
  expect(byId.get("looping")).toMatchObject({ timeoutMs: null, sensor: { mode: "worker", pokeIntervalMs: 500, timeoutMs: null, softFail: false } });
  expect(byId.get("other")?.sensor?.probe).toEqual({ kind: "external", pipelineId: "ingest", taskId: null, states: ["success"], failedStates: ["failed", "canceled"], offsetMs: -86_400_000 });
});

it("the version follows the check, not the wrapper every sensor shares", () => {
  const version = (check: () => boolean) => compilePipeline(pipeline({ id: "v", schedule: null }, (p) => void p.sensor("s", check)).spec, FILE).graph?.version;
  expect(version(() => true)).not.toBe(version(() => 1 > 0));
  expect(version(() => true)).toBe(version(() => true));
});

it("reports bad options with the task: durations, mode, softFail, needs, a probe in worker mode, no check", () => {
  const { problems } = compilePipeline(
    pipeline({ id: "bad", schedule: null }, (p) => {
      const up = p.task("up", async () => 1);
      p.sensor("poke", { pokeInterval: "soon" } as never, () => true);
      p.sensor("mode", { mode: "thread" } as never, () => true);
      p.sensor("soft", { softFail: "yes" } as never, () => true);
      p.sensor("needs", { needs: { up } } as never, () => true);
      p.sensor("probe", { mode: "worker" }, sqlSensor({ url: "/x.db", query: "SELECT 1" }));
      p.sensor("nothing", {}, 42 as never);
    }).spec,
    FILE,
  );
  const byTask = (task: string) => problems.filter((p) => p.task === task).map((p) => p.message);
  expect(byTask("poke").join()).toMatch(/pokeInterval.*"soon" is not a duration/);
  expect(byTask("mode").join()).toMatch(/mode must be "deferred" or "worker"/);
  expect(byTask("soft").join()).toMatch(/softFail must be true or false/);
  expect(byTask("needs").join()).toMatch(/takes no needs or map/);
  expect(byTask("probe").join()).toMatch(/can't use mode "worker"/);
  expect(byTask("nothing").join()).toMatch(/needs a check function/);
});
