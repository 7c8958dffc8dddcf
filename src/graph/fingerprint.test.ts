import { describe, expect, it } from "vitest";
import { pipeline } from "../define/pipeline.js";
import { compilePipeline } from "./compile-pipeline.js";
import { graphVersion, legacyGraphVersion } from "./fingerprint.js";
import type { PipelineGraph, TaskNode } from "./types.js";

function compiled(build: Parameters<typeof pipeline>[1], options: Parameters<typeof pipeline>[0] = { id: "fp" }): PipelineGraph {
  const { graph, problems } = compilePipeline(pipeline(options, build).spec, "/x/fp.ts");
  expect(problems).toEqual([]);
  return graph as PipelineGraph;
}

const withoutVersion = (graph: PipelineGraph): Omit<PipelineGraph, "version"> => {
  const { version: _version, ...rest } = graph;
  return rest;
};

/** Tasks that have, between them, every field of TaskNode. */
const everyField: Parameters<typeof pipeline>[1] = (p) => {
  const a = p.task("a", async () => [1]);
  const m = p.task("m", { map: a, maxParallel: 2, needs: { a }, timeout: "1m", queue: "q", pool: "p", priority: 3, description: "x" }, async () => 1);
  p.branch("b", { after: [m] }, () => []);
  p.shell("s", { after: [a] }, "echo hi");
  p.sensor("w", async () => true);
  p.pipeline("sub", { pipeline: pipeline({ id: "other" }, (q) => void q.task("x", async () => 1)) });
};

describe("graphVersion", () => {
  it("is the same for the compiled graph, a JSON copy of it, and another file path", () => {
    const graph = compiled((p) => {
      const a = p.task("a", async () => 1);
      for (let i = 0; i < 20; i++) p.task(`b${i}`, { needs: { a }, retries: i % 2 }, async () => i);
      p.task("c", { after: [a], cache: true, onFailure: ["ops"] }, async () => 0);
    });
    expect(graphVersion(withoutVersion(graph))).toBe(graph.version);
    const copy = JSON.parse(JSON.stringify(graph)) as PipelineGraph;
    expect(graphVersion({ ...withoutVersion(copy), file: "/elsewhere/fp.ts" })).toBe(graph.version);
  });

  it("doesn't depend on the key order of pipeline-level options", () => {
    const graph = compiled((p) => void p.task("a", async () => 1), { id: "fp", tags: ["x"], description: "d" });
    const { tags, description, ...rest } = withoutVersion(graph);
    expect(graphVersion({ description, ...rest, tags })).toBe(graph.version);
  });

  it("changes with every field of every task", () => {
    const graph = compiled(everyField);
    const base = graph.version;
    const seen = new Set<string>([base]);
    for (let t = 0; t < graph.tasks.length; t++) {
      const task = graph.tasks[t] as TaskNode;
      const keys = Object.keys(task) as (keyof TaskNode)[];
      // Every field of TaskNode appears on some task of this graph, so each one is checked here.
      for (const key of keys) {
        const changed: TaskNode = { ...task, [key]: key === "upstream" || key === "after" ? ["other"] : typeof task[key] === "number" ? 999 : { changed: key } };
        const tasks = graph.tasks.map((x, i) => (i === t ? changed : x));
        const version = graphVersion({ ...withoutVersion(graph), tasks });
        expect(seen.has(version), `${task.id}.${key}`).toBe(false);
        seen.add(version);
      }
    }
    const allKeys = new Set(graph.tasks.flatMap((task) => Object.keys(task)));
    for (const key of ["id", "kind", "upstream", "needs", "after", "map", "mapping", "branch", "trigger", "retry", "timeoutMs", "queue", "pool", "priority", "cache", "description", "command", "codeHash", "alerts", "subPipeline", "sensor"]) {
      expect(allKeys.has(key), key).toBe(true);
    }
  });

  it("changes with every field of a task that follows one alike (whose text it may reuse)", () => {
    const graph = compiled(everyField);
    for (const task of graph.tasks) {
      // The first task writes the shared parts out, so only the second one's text is reused.
      const twin = { ...task, id: `${task.id}_2` };
      const alike = graphVersion({ ...withoutVersion(graph), tasks: [task, twin, { ...task, id: `${task.id}_3` }] });
      for (const key of Object.keys(task) as (keyof TaskNode)[]) {
        if (key === "id") continue;
        const changed: TaskNode = { ...task, id: `${task.id}_3`, [key]: key === "upstream" || key === "after" ? ["other"] : typeof task[key] === "number" ? 999 : { changed: key } };
        expect(graphVersion({ ...withoutVersion(graph), tasks: [task, twin, changed] }), `${task.id}.${key}`).not.toBe(alike);
      }
    }
  });

  it("keeps the fingerprint of earlier versions for runs they started (the value they computed)", () => {
    const task = (over: object) => ({ id: "a", kind: "function", upstream: [], needs: {}, after: [], map: null, trigger: "all_success", retry: { retries: 0, retryDelayMs: 30000, backoff: "fixed", maxRetryDelayMs: 3600000 }, timeoutMs: null, queue: "default", pool: "default", priority: 0, cache: { enabled: false, ttlMs: null, customKey: false }, description: null, command: null, codeHash: "0123456789abcdef", alerts: { onFailure: [], onRetry: [], onSuccess: [] }, ...over });
    const graph = {
      id: "legacy", file: "/x/legacy.ts", description: null, schedule: "@daily", timezone: "UTC", start: null, end: null, catchup: false, tags: ["b", "a"], maxActiveRuns: 16, maxActiveTasks: null, timeoutMs: null, alerts: { onFailure: [], onSuccess: [] }, paramsSchema: null,
      tasks: [
        task({}),
        task({ id: "b", kind: "shell", upstream: ["a"], needs: { x: "a" }, trigger: "all_done", retry: { retries: 2, retryDelayMs: 1000, backoff: "exponential", maxRetryDelayMs: 3600000 }, timeoutMs: 5000, queue: "q", pool: "p", priority: 1, cache: { enabled: true, ttlMs: null, customKey: false }, description: "d", command: "echo", codeHash: "fedcba9876543210", alerts: { onFailure: ["ops"], onRetry: [], onSuccess: [] } }),
      ],
      order: ["a", "b"],
    } as unknown as Omit<PipelineGraph, "version">;
    // The value weir computed before graph/2 for this graph.
    expect(legacyGraphVersion(graph)).toBe("42953af99aba9823");
    // And graph/2's value, as weir computes it since: alike tasks in a row, written by reusing their text.
    const more = { ...graph, tasks: [graph.tasks[0], task({ id: "a2", upstream: ["a"], after: ["a"] }), task({ id: "a3", upstream: ["a"], after: ["a"] }), ...graph.tasks.slice(1), task({ id: "c", upstream: ["a", "b"], after: ["a", "b"] })] } as Omit<PipelineGraph, "version">;
    expect(graphVersion(more)).toBe("8810bea67be307d7");
  });
});
