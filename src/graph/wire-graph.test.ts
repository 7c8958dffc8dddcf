import { describe, expect, it } from "vitest";
import { pipeline } from "../define/pipeline.js";
import { compilePipeline } from "./compile-pipeline.js";
import type { PipelineGraph } from "./types.js";
import { compactGraph, decodeGraph, decodeStoredGraph, encodeGraph, isWireGraph } from "./wire-graph.js";

function compiled(build: Parameters<typeof pipeline>[1]): PipelineGraph {
  const { graph, problems } = compilePipeline(pipeline({ id: "wire", schedule: "@daily", tags: ["t"] }, build).spec, "/x/wire.ts");
  expect(problems).toEqual([]);
  return graph as PipelineGraph;
}

/** What crosses the process boundary: JSON. */
const trip = (graph: PipelineGraph): PipelineGraph => decodeGraph(JSON.parse(JSON.stringify(encodeGraph(graph))) as PipelineGraph);

describe("the wire form of a graph", () => {
  it("decodes to the same graph, down to the JSON text, for tasks of every kind", () => {
    const graph = compiled((p) => {
      const a = p.task("a", async () => [1, 2]);
      const leaves = Array.from({ length: 30 }, (_, i) => p.task(`leaf${i}`, { after: [a], retries: i % 3, ...(i === 7 ? { cache: true, onFailure: ["ops"] } : {}) }, async () => i));
      const m = p.task("m", { map: a, needs: { a }, description: "mapped", timeout: "1m" }, async () => 1);
      p.branch("b", { after: [m, a] }, () => []);
      p.shell("s", { after: leaves.slice(3, 4), env: { X: "1" } }, "echo hi");
      p.sensor("w", async () => true);
      p.task("join", { after: [...leaves, a], queue: "q", priority: 2 }, async () => 0);
    });
    const encoded = encodeGraph(graph);
    expect(isWireGraph(encoded)).toBe(true);
    const back = trip(graph);
    expect(JSON.stringify(back)).toBe(JSON.stringify(graph));
    expect(back).toEqual(graph);
  });

  it("is much smaller than the graph's JSON for a generated fan-out, and shares the parts of alike tasks", () => {
    const graph = compiled((p) => {
      const root = p.task("root", async () => 0);
      const leaves = Array.from({ length: 2000 }, (_, i) => p.task(`leaf${i}`, { after: [root] }, async () => i));
      p.task("join", { after: leaves }, async () => 0);
    });
    const wire = JSON.stringify(encodeGraph(graph));
    expect(wire.length * 5).toBeLessThan(JSON.stringify(graph).length);
    const back = trip(graph);
    expect(JSON.stringify(back)).toBe(JSON.stringify(graph));
    expect(back.tasks[5]?.retry).toBe(back.tasks[6]?.retry);
    expect(back.tasks[5]?.upstream).toBe(back.tasks[5]?.after);
  });

  it("passes a graph it can't write exactly (an edge to an unknown id) and a plain graph through as they are", () => {
    const graph = compiled((p) => void p.task("a", async () => 1));
    const odd = { ...graph, tasks: [{ ...graph.tasks[0], upstream: ["nowhere"] }] } as PipelineGraph;
    expect(encodeGraph(odd)).toBe(odd);
    expect(decodeGraph(graph)).toBe(graph);
  });

  it("gives back the compact form a graph was decoded from, once; then encodes it afresh, to the same form", () => {
    const graph = compiled((p) => {
      const root = p.task("root", async () => 0);
      for (let i = 0; i < 20; i++) p.task(`leaf${i}`, { after: [root] }, async () => i);
    });
    const wire = JSON.parse(JSON.stringify(encodeGraph(graph))) as PipelineGraph;
    const decoded = decodeGraph(wire);
    expect(compactGraph(decoded)).toBe(wire);
    const again = compactGraph(decoded);
    expect(again).not.toBe(wire);
    expect(JSON.stringify(again)).toBe(JSON.stringify(wire));
    // Read back from the store: not written again, so nothing is remembered for it.
    const stored = decodeStoredGraph(JSON.parse(JSON.stringify(wire)) as PipelineGraph);
    expect(JSON.stringify(stored)).toBe(JSON.stringify(graph));
    expect(compactGraph(stored)).not.toBe(wire);
  });
});
