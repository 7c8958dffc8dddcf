import { describe, expect, it } from "vitest";
import { pipeline } from "../define/pipeline.js";
import { compilePipeline } from "./compile-pipeline.js";
import { describeCycle, downstreamOf, findCycles, topologicalOrder } from "./graph-order.js";

describe("graph order", () => {
  it("describes a cycle closed on its first task", () => {
    expect(describeCycle(["a", "b", "c"])).toBe("a → b → c → a");
    expect(describeCycle(["a", "b", "a"])).toBe("a → b → a");
  });

  it("finds one cycle per strongly connected component, from its first-declared task", () => {
    const upstream = new Map<string, string[]>([
      ["a", ["d"]],
      ["b", ["a"]],
      ["c", ["b"]],
      ["d", ["c"]],
      ["e", ["b", "f"]],
      ["f", ["e"]],
      ["g", []],
    ]);
    expect(findCycles(upstream)).toEqual([
      ["a", "b", "c", "d"],
      ["e", "f"],
    ]);
    expect(topologicalOrder(upstream)).toBeNull();
  });

  it("orders a long chain without recursion limits", () => {
    const upstream = new Map<string, string[]>(Array.from({ length: 20_000 }, (_, i) => [`t${i}`, i === 0 ? [] : [`t${i - 1}`]]));
    expect(findCycles(upstream)).toEqual([]);
    expect(topologicalOrder(upstream)?.length).toBe(20_000);
  });

  it("finds the tasks downstream of a task, directly or transitively", () => {
    const { graph } = compilePipeline(
      pipeline({ id: "p" }, (p) => {
        const a = p.task("a", async () => 1);
        const b = p.task("b", { needs: { a } }, async () => 1);
        const c = p.task("c", { after: [b] }, async () => 1);
        p.task("d", { after: [c, a] }, async () => 1);
        p.task("e", async () => 1);
      }).spec,
      "/p.ts",
    );
    if (graph === null) throw new Error("no graph");
    expect(downstreamOf(graph, "a", false)).toEqual(["b", "d"]);
    expect(downstreamOf(graph, "a", true)).toEqual(["b", "c", "d"]);
    expect(downstreamOf(graph, "e", true)).toEqual([]);
    expect(() => downstreamOf(graph, "zz", true)).toThrow(/no task "zz"/);
  });
});

describe("graph order: wide fan-out", () => {
  it("keeps declaration order among many ready tasks", () => {
    const upstream = new Map<string, string[]>([["root", []]]);
    for (let i = 0; i < 5000; i++) upstream.set(`t${i}`, i % 2 === 0 ? ["root"] : []);
    expect(topologicalOrder(upstream)).toEqual(["root", ...Array.from({ length: 5000 }, (_, i) => `t${i}`)]);
  });

  it("puts a task after its upstreams even when declared before them", () => {
    const upstream = new Map<string, string[]>([
      ["late", ["early"]],
      ["other", []],
      ["early", []],
    ]);
    expect(topologicalOrder(upstream)).toEqual(["other", "early", "late"]);
  });
});
