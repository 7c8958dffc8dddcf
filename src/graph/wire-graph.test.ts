import { describe, expect, it } from "vitest";
import { pipeline } from "../define/pipeline.js";
import { compilePipeline } from "./compile-pipeline.js";
import type { PipelineSpec } from "../define/spec.js";
import type { PipelineGraph } from "./types.js";
import { compactGraph, decodeGraph, decodeStoredGraph, encodeGraph, isWireGraph, withVersion, type WireGraph } from "./wire-graph.js";

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

  it("the compiler's graph makes its tasks when first read, and is sent as the compact form it was made from", () => {
    const graph = compiled((p) => {
      const root = p.task("root", async () => 0);
      for (let i = 0; i < 20; i++) p.task(`leaf${i}`, { after: [root], needs: i === 3 ? { root } : {} }, async () => i);
    });
    const keys = Object.keys(graph);
    const made = () => Object.getOwnPropertyDescriptor(graph, "tasks")?.get === undefined;
    const wire = encodeGraph(graph);
    expect(isWireGraph(wire)).toBe(true);
    expect(encodeGraph(graph)).toBe(wire);
    expect(made()).toBe(false);
    expect(graph.tasks).toHaveLength(21);
    expect(made()).toBe(true);
    expect(Object.keys(graph)).toEqual(keys);
    expect(graph.order).toEqual(["root", ...Array.from({ length: 20 }, (_, i) => `leaf${i}`)]);
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
    expect(JSON.stringify(trip(graph))).toBe(JSON.stringify(graph));
  });

  it("lets a decoded graph's tasks or order be replaced before they are read", () => {
    const graph = compiled((p) => {
      const a = p.task("a", async () => 0);
      p.task("b", { after: [a] }, async () => 1);
    });
    const decoded = trip(graph);
    decoded.tasks = [];
    expect(decoded.order).toEqual(["a", "b"]);
    expect(decoded.tasks).toEqual([]);
    const other = trip(graph);
    other.order = ["b"];
    expect(other.tasks).toEqual(graph.tasks);
    expect(other.order).toEqual(["b"]);
    const frozen = Object.freeze(trip(graph));
    expect(frozen.tasks).toEqual(graph.tasks);
    expect(frozen.tasks).toBe(frozen.tasks);
    expect(frozen.order).toEqual(["a", "b"]);
  });

  it("gives a compiled graph another version without making its tasks", () => {
    const graph = compiled((p) => void p.task("a", async () => 1));
    const versioned = withVersion(graph, "0123456789abcdef");
    expect(versioned.version).toBe("0123456789abcdef");
    expect(((encodeGraph(versioned) as WireGraph).graph as PipelineGraph).version).toBe("0123456789abcdef");
    expect(JSON.stringify(versioned)).toBe(JSON.stringify({ ...graph, version: "0123456789abcdef" }));
    expect(graph.version).not.toBe("0123456789abcdef");
    const plain = JSON.parse(JSON.stringify(graph)) as PipelineGraph;
    expect(withVersion(plain, "v")).toEqual({ ...plain, version: "v" });
  });

  it("writes positions as one string each, and still reads the form earlier versions stored (weir-graph/1)", () => {
    const graph = compiled((p) => {
      const a = p.task("a", async () => 1);
      p.task("b", { after: [a] }, async () => 2);
    });
    const wire = encodeGraph(graph) as WireGraph;
    expect(wire.format).toBe("weir-graph/2");
    expect(typeof wire.edges).toBe("string");

    const retry = { retries: 0, retryDelayMs: 30000, backoff: "fixed", maxRetryDelayMs: 3600000 };
    const cache = { enabled: false, ttlMs: null, customKey: false };
    const alerts = { onFailure: [], onRetry: [], onSuccess: [] };
    const template = (codeHash: string) => ({ kind: "function", needs: {}, map: null, trigger: "all_success", retry, timeoutMs: null, queue: "default", pool: "default", priority: 0, cache, description: null, command: null, codeHash, alerts });
    // As weir wrote it before weir-graph/2, for a pipeline a → b, a → c (c with needs and a description).
    const stored = {
      format: "weir-graph/1",
      graph: { id: "v1", file: "/x/v1.ts", description: null, schedule: "@daily", timezone: "UTC", start: null, end: null, catchup: false, tags: [], maxActiveRuns: 16, maxActiveTasks: null, timeoutMs: null, alerts: { onFailure: [], onSuccess: [] }, paramsSchema: null, version: "1ade144821657df6" },
      keys: ["id", "file", "description", "schedule", "timezone", "start", "end", "catchup", "tags", "maxActiveRuns", "maxActiveTasks", "timeoutMs", "alerts", "paramsSchema", "tasks", "order", "version"],
      ids: ["a", "b", "c"],
      tasks: [0, 1, { raw: { ...template("156f20fea39f2cbb"), needs: { a: "a" }, description: "whole" } }],
      templates: [template("50ae093cf02ef924"), template("24c4780cf457cd87")],
      edges: [0, -1, 1, 0, -1, 1, 0, 0],
      order: [0, 1, 2],
    };
    const back = decodeStoredGraph(JSON.parse(JSON.stringify(stored)) as PipelineGraph);
    const task = (id: string, codeHash: string, over: object) => ({ id, kind: "function", upstream: [] as string[], needs: {}, after: [] as string[], map: null, trigger: "all_success", retry, timeoutMs: null, queue: "default", pool: "default", priority: 0, cache, description: null, command: null, codeHash, alerts, ...over });
    const { version, ...head } = stored.graph;
    const tasks = [task("a", "50ae093cf02ef924", {}), task("b", "24c4780cf457cd87", { upstream: ["a"], after: ["a"] }), task("c", "156f20fea39f2cbb", { upstream: ["a"], needs: { a: "a" }, description: "whole" })];
    expect(JSON.stringify(back)).toBe(JSON.stringify({ ...head, tasks, order: ["a", "b", "c"], version }));
    // Saved again: written in the current form, read back the same.
    expect(JSON.stringify(decodeStoredGraph(JSON.parse(JSON.stringify(compactGraph(back))) as PipelineGraph))).toBe(JSON.stringify(back));
  });

  it("compiles a spec made by hand whose ids can't be one line each (the earlier form is used)", () => {
    const spec = pipeline({ id: "odd" }, (p) => void p.task("a", async () => 1)).spec;
    const odd = { ...spec, problems: [], tasks: [{ ...(spec.tasks[0] as PipelineSpec["tasks"][number]), id: "x\ny" }] };
    const { graph } = compilePipeline(odd, "/x/odd.ts");
    expect(graph?.tasks.map((t) => t.id)).toEqual(["x\ny"]);
    expect(JSON.stringify(trip(graph as PipelineGraph))).toBe(JSON.stringify(graph));
  });
});
