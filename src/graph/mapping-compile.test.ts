// Mapped and branch tasks in the compiled graph: what they carry, and the problems reported for bad options.
import { describe, expect, it } from "vitest";
import { pipeline } from "../define/pipeline.js";
import { compilePipeline } from "./compile-pipeline.js";

const FILE = "/pipelines/mapped.ts";

describe("compilePipeline: mapping and branches", () => {
  it("records how a mapped task expands and marks branches; other tasks carry neither field", () => {
    const spec = pipeline({ id: "mapped" }, (p) => {
      const a = p.task("a", async () => [1, 2]);
      const b = p.task("b", async () => ["x"]);
      p.task("one", { map: a, maxParallel: 3 }, async (_ctx, n) => n);
      p.task("both", { map: { a, b }, mapMode: "product" }, async (_ctx, { a, b }) => `${a}${b}`);
      p.branch("pick", () => []);
      p.shortCircuit("gate", () => true);
    }).spec;
    const { graph, problems } = compilePipeline(spec, FILE);
    expect(problems).toEqual([]);
    const byId = new Map(graph?.tasks.map((t) => [t.id, t]));
    expect(byId.get("one")).toMatchObject({ map: "a", upstream: ["a"], mapping: { mode: "item", over: { item: "a" }, maxParallel: 3 } });
    expect(byId.get("both")).toMatchObject({ map: "a", upstream: ["a", "b"], mapping: { mode: "product", over: { a: "a", b: "b" }, maxParallel: null } });
    expect(byId.get("pick")).toMatchObject({ kind: "branch", branch: "choose" });
    expect(byId.get("gate")).toMatchObject({ kind: "branch", branch: "short_circuit" });
    expect("mapping" in (byId.get("a") ?? {})).toBe(false);
    expect("branch" in (byId.get("a") ?? {})).toBe(false);
  });

  it("reports bad mapping options with their task", () => {
    const spec = pipeline({ id: "bad" }, (p) => {
      const a = p.task("a", async () => [1]);
      // Untyped JavaScript can pass anything: each mistake is one problem naming the task.
      const loose = p as unknown as { task: (id: string, options: Record<string, unknown>, fn: () => unknown) => unknown };
      loose.task("zero", { map: a, maxParallel: 0 }, () => 1);
      loose.task("mode", { map: { a }, mapMode: "cross" }, () => 1);
      loose.task("unmapped_limit", { maxParallel: 2 }, () => 1);
      loose.task("not_ref", { map: "a" }, () => 1);
      loose.task("missing", { map: { k: { kind: "task", id: "nope" } } }, () => 1);
    }).spec;
    const { graph, problems } = compilePipeline(spec, FILE);
    expect(graph).toBeNull();
    expect(problems.map((p) => [p.task, p.code, p.message])).toEqual(
      expect.arrayContaining([
        ["zero", "task_option_invalid", "maxParallel must be a whole number ≥ 1, got 0"],
        ["mode", "task_option_invalid", 'mapMode of task mode must be "zip" or "product", got "cross"'],
        ["unmapped_limit", "task_option_invalid", "maxParallel of task unmapped_limit applies only to a mapped task (one with map)"],
        ["not_ref", "reference_invalid", "map of task not_ref must be a task reference or an object of task references"],
        ["missing", "dependency_unknown", 'task missing needs "nope", which is not a task of this pipeline'],
      ]),
    );
  });
});
