import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pipeline } from "../define/pipeline.js";
import type { PipelineSpec } from "../define/spec.js";
import { compilePipeline } from "./compile-pipeline.js";
import { DEFAULT_MAX_ACTIVE_RUNS, DEFAULT_MAX_RETRY_DELAY_MS, DEFAULT_RETRY_DELAY_MS, type PipelineGraph } from "./types.js";

const FILE = "/pipelines/etl.ts";

function compiled(spec: PipelineSpec): PipelineGraph {
  const { graph, problems } = compilePipeline(spec, FILE);
  expect(problems).toEqual([]);
  if (graph === null) throw new Error("no graph");
  return graph;
}

function problemsOf(spec: PipelineSpec) {
  const { graph, problems } = compilePipeline(spec, FILE);
  expect(graph).toBeNull();
  return problems;
}

const etl = () =>
  pipeline({ id: "etl", schedule: "@daily", start: "2025-09-01" }, (p) => {
    const extract = p.task("extract", async () => [1, 2, 3]);
    const transform = p.task("transform", { needs: { extract } }, async (_ctx, { extract }) => extract.map((x) => x * 2));
    p.task("load", { needs: { transform }, after: [extract] }, async (_ctx, { transform }) => transform.length);
  }).spec;

describe("compilePipeline: defaults", () => {
  it("fills in every default", () => {
    const graph = compiled(pipeline({ id: "plain" }, (p) => void p.task("only", async () => 1)).spec);
    expect(graph).toMatchObject({
      id: "plain",
      file: FILE,
      description: null,
      schedule: null,
      timezone: "UTC",
      start: null,
      end: null,
      catchup: false,
      tags: [],
      maxActiveRuns: DEFAULT_MAX_ACTIVE_RUNS,
      maxActiveTasks: null,
      timeoutMs: null,
      paramsSchema: null,
      order: ["only"],
    });
    expect(graph.tasks[0]).toMatchObject({
      id: "only",
      kind: "function",
      upstream: [],
      needs: {},
      after: [],
      map: null,
      trigger: "all_success",
      retry: { retries: 0, retryDelayMs: DEFAULT_RETRY_DELAY_MS, backoff: "fixed", maxRetryDelayMs: DEFAULT_MAX_RETRY_DELAY_MS },
      timeoutMs: null,
      queue: "default",
      pool: "default",
      priority: 0,
      cache: { enabled: false, ttlMs: null, customKey: false },
      description: null,
      command: null,
    });
    expect(graph.tasks[0]?.codeHash).toMatch(/^[0-9a-f]{16}$/);
    expect(graph.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it("applies pipeline defaults, then task options", () => {
    const spec = pipeline(
      { id: "d", defaults: { retries: 2, retryDelay: "10s", backoff: "exponential", maxRetryDelay: "10m", timeout: "30m" }, timeout: "2h" },
      (p) => {
        const a = p.task("a", async () => 1);
        p.task("b", { after: [a], retries: 5, retryDelay: 250, timeout: "1m", queue: "gpu", pool: "db", priority: 3, trigger: "all_done", cache: { ttl: "1d" } }, async () => 2);
        p.shell("c", { after: [a], env: { X: "1" } }, "echo hi");
      },
    ).spec;
    const graph = compiled(spec);
    const [a, b, c] = graph.tasks;
    expect(graph.timeoutMs).toBe(7_200_000);
    expect(a).toMatchObject({ retry: { retries: 2, retryDelayMs: 10_000, backoff: "exponential", maxRetryDelayMs: 600_000 }, timeoutMs: 1_800_000 });
    expect(b).toMatchObject({
      retry: { retries: 5, retryDelayMs: 250, backoff: "exponential", maxRetryDelayMs: 600_000 },
      timeoutMs: 60_000,
      queue: "gpu",
      pool: "db",
      priority: 3,
      trigger: "all_done",
      cache: { enabled: true, ttlMs: 86_400_000, customKey: false },
    });
    expect(c).toMatchObject({ kind: "shell", command: "echo hi", upstream: ["a"] });
  });

  it("orders upstream as needs, after, map, deduplicated, and the tasks topologically", () => {
    const graph = compiled(etl());
    expect(graph.tasks.map((t) => [t.id, t.upstream])).toEqual([
      ["extract", []],
      ["transform", ["extract"]],
      ["load", ["transform", "extract"]],
    ]);
    expect(graph.order).toEqual(["extract", "transform", "load"]);
  });

  it("breaks ties in the order by declaration", () => {
    const spec = pipeline({ id: "ties" }, (p) => {
      const root = p.task("root", async () => 1);
      p.task("z", { after: [root] }, async () => 1);
      const y = p.task("y", async () => 1);
      p.task("x", { after: [y, root] }, async () => 1);
    }).spec;
    expect(compiled(spec).order).toEqual(["root", "z", "y", "x"]);
  });

  it("resolves start and end in the pipeline's time zone", () => {
    const graph = compiled(
      pipeline({ id: "tz", timezone: "Europe/Berlin", start: "2025-09-01", end: new Date("2025-12-31T00:00:00Z") }, (p) => void p.task("t", async () => 1)).spec,
    );
    expect(graph.start).toBe("2025-08-31T22:00:00.000Z");
    expect(graph.end).toBe("2025-12-31T00:00:00.000Z");
    const utc = compiled(pipeline({ id: "u", start: "2025-09-01T06:00:00+02:00" }, (p) => void p.task("t", async () => 1)).spec);
    expect(utc.start).toBe("2025-09-01T04:00:00.000Z");
  });

  it("describes params as JSON Schema of the input", () => {
    const spec = pipeline({ id: "ml", params: z.object({ threshold: z.number().default(0.6), name: z.string() }) }, (p) => void p.task("t", async () => 1)).spec;
    const schema = compiled(spec).paramsSchema;
    expect(schema).toMatchObject({ type: "object", properties: { threshold: { type: "number", default: 0.6 }, name: { type: "string" } }, required: ["name"] });
  });
});

describe("compilePipeline: problems", () => {
  it("reports an unknown dependency with the task", () => {
    const spec = pipeline({ id: "p" }, (p) => {
      p.task("extract", async () => 1);
      p.task("load", { after: [{ kind: "task", id: "trnsform" } as never] }, async () => 1);
    }).spec;
    expect(problemsOf(spec)).toEqual([
      { code: "dependency_unknown", message: 'task load needs "trnsform", which is not a task of this pipeline', task: "load" },
    ]);
  });

  it("carries over a duplicate id from the definition", () => {
    const spec = pipeline({ id: "p" }, (p) => {
      p.task("a", async () => 1);
      p.task("a", async () => 2);
    }).spec;
    expect(problemsOf(spec)).toEqual([{ code: "task_duplicate", message: 'task id "a" is defined twice', task: "a" }]);
  });

  it("reports a cycle as its path", () => {
    const spec = pipeline({ id: "p" }, (p) => {
      const a = p.task("a", { after: [{ kind: "task", id: "c" } as never] }, async () => 1);
      const b = p.task("b", { needs: { a } }, async () => 1);
      p.task("c", { needs: { b } }, async () => 1);
    }).spec;
    expect(problemsOf(spec)).toEqual([{ code: "pipeline_cycle", message: "tasks form a cycle: a → b → c → a", task: "a" }]);
  });

  it("reports every cycle and a task that depends on itself", () => {
    const spec = pipeline({ id: "p" }, (p) => {
      const a = p.task("a", { after: [{ kind: "task", id: "b" } as never] }, async () => 1);
      p.task("b", { after: [a] }, async () => 1);
      const x = p.task("x", { after: [{ kind: "task", id: "y" } as never] }, async () => 1);
      p.task("y", { after: [x] }, async () => 1);
      p.task("self", { after: [{ kind: "task", id: "self" } as never] }, async () => 1);
    }).spec;
    expect(problemsOf(spec).map((p) => p.message)).toEqual([
      "task self depends on itself",
      "tasks form a cycle: a → b → a",
      "tasks form a cycle: x → y → x",
    ]);
  });

  it("reports the tasks' problems, then the pipeline's options', then the edges' (the order weir validate prints)", () => {
    const spec = pipeline({ id: "p", maxActiveRuns: 0, end: "2020-01-01", start: "2021-01-01" }, (p) => {
      p.task("a", { priority: "high" as never, after: [{ kind: "task", id: "nope" } as never] }, async () => 1);
      p.task("b", { queue: "no spaces" }, async () => 1);
    }).spec;
    expect(problemsOf(spec).map((p) => [p.code, p.task])).toEqual([
      ["task_option_invalid", "a"],
      ["task_option_invalid", "b"],
      ["pipeline_option_invalid", undefined],
      ["pipeline_option_invalid", undefined],
      ["dependency_unknown", "a"],
    ]);
  });

  it("reports bad durations naming the task and option", () => {
    const spec = pipeline({ id: "p", defaults: { maxRetryDelay: "forever" } }, (p) => {
      p.task("extract", { retryDelay: "10 seconds" }, async () => 1);
      p.task("load", { timeout: "-5m" }, async () => 1);
    }).spec;
    const messages = problemsOf(spec).map((p) => [p.code, p.task, p.message]);
    expect(messages).toEqual([
      ["duration_invalid", undefined, expect.stringMatching(/^defaults: maxRetryDelay: "forever" is not a duration/)],
      ["duration_invalid", "extract", expect.stringMatching(/^retryDelay: "10 seconds" is not a duration/)],
      ["duration_invalid", "load", expect.stringMatching(/^timeout: "-5m" is not a duration/)],
    ]);
  });

  it("reports bad options of JavaScript users", () => {
    const spec = pipeline({ id: "p", tags: ["ok", 3] as never, maxActiveRuns: 0, start: "someday", timezone: "Moon/Base" }, (p) => {
      p.task("t", { trigger: "all_good", retries: 1.5, priority: "high", queue: "my queue", pool: "" } as never, async () => 1);
      p.task("u", { retries: -1, backoff: "linear" } as never, async () => 1);
    }).spec;
    const problems = problemsOf(spec);
    const codes = problems.map((p) => `${p.code}:${p.task ?? "-"}`);
    expect(codes).toEqual([
      "timezone_invalid:-",
      "task_option_invalid:t", // retries
      "task_option_invalid:t", // trigger
      "task_option_invalid:t", // priority
      "task_option_invalid:t", // queue
      "task_option_invalid:t", // pool
      "task_option_invalid:u", // retries
      "task_option_invalid:u", // backoff
      "pipeline_option_invalid:-", // start
      "pipeline_option_invalid:-", // tags
      "pipeline_option_invalid:-", // maxActiveRuns
    ]);
    expect(problems.find((p) => p.message.includes("trigger"))?.message).toBe(
      'trigger "all_good" is not a trigger rule (all_success, all_done, none_failed, …)',
    );
  });

  it("requires params to be a zod object schema", () => {
    for (const params of [z.string(), { safeParse: () => null }, "x"]) {
      const spec = pipeline({ id: "p", params: params as never }, (p) => void p.task("t", async () => 1)).spec;
      expect(problemsOf(spec).map((p) => p.code)).toEqual(["params_invalid"]);
    }
  });
});

describe("compilePipeline: version", () => {
  it("is the same for the same pipeline, wherever the file is", () => {
    const first = compiled(etl());
    expect(compiled(etl()).version).toBe(first.version);
    expect(compilePipeline(etl(), "/elsewhere/etl.ts").graph?.version).toBe(first.version);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });

  it("changes with a task's code and with its options", () => {
    const build = (factor: number, retries: number) =>
      compiled(
        pipeline({ id: "v" }, (p) => {
          const a = p.task("a", async () => 1);
          if (factor === 2) p.task("b", { needs: { a }, retries }, async (_ctx, { a }) => a * 2);
          else p.task("b", { needs: { a }, retries }, async (_ctx, { a }) => a * 3);
        }).spec,
      );
    const base = build(2, 0);
    const changedCode = build(3, 0);
    const changedOption = build(2, 1);
    expect(changedCode.tasks[0]?.codeHash).toBe(base.tasks[0]?.codeHash);
    expect(changedCode.tasks[1]?.codeHash).not.toBe(base.tasks[1]?.codeHash);
    expect(changedCode.version).not.toBe(base.version);
    expect(changedOption.tasks[1]?.codeHash).toBe(base.tasks[1]?.codeHash);
    expect(changedOption.version).not.toBe(base.version);
  });

  it("hashes a shell task's command, environment and directory", () => {
    const shell = (env: Record<string, string>) => compiled(pipeline({ id: "s" }, (p) => void p.shell("s", { env }, "echo $X")).spec);
    expect(shell({ X: "1" }).tasks[0]?.codeHash).toBe(shell({ X: "1" }).tasks[0]?.codeHash);
    expect(shell({ X: "1" }).tasks[0]?.codeHash).not.toBe(shell({ X: "2" }).tasks[0]?.codeHash);
  });
});
