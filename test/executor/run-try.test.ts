// Running function tasks in worker processes: outputs cross as encoded values, throws become failures,
// SkipTask/FailWithoutRetry are honoured by name, and output lands in the try's log.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../../src/worker/value-codec.js";
import { makeJob, makePool, makeTempDir, readLog, versionOf } from "./helpers.js";

const tmp = makeTempDir();
const { pool, run, results } = makePool({ size: 2 });
let file = "";
let version = "";

beforeAll(async () => {
  file = tmp.write(
    "tasks.ts",
    `import { pipeline } from "weir";
import { z } from "zod";

class Connection { constructor(readonly url: string) {} }
class SkipTask extends Error { override name = "SkipTask"; }
class FailWithoutRetry extends Error { override name = "FailWithoutRetry"; }

export default pipeline({ id: "tasks", params: z.object({ day: z.string().default("mon").transform((d) => d.toUpperCase()) }) }, (p) => {
  const rich = p.task("rich", async (ctx) => ({
    when: ctx.logicalDate,
    counts: new Map([["a", 1n]]),
    tags: new Set(["x"]),
    bytes: Buffer.from("hi"),
    nothing: undefined,
  }));
  p.task("sum", { needs: { rich } }, async (_ctx, { rich }) => [...rich.counts.values()][0]! + 1n);
  p.task("context", async (ctx) => ({
    runId: ctx.runId, pipelineId: ctx.pipelineId, taskId: ctx.taskId, mapIndex: ctx.mapIndex,
    logicalDate: ctx.logicalDate, start: ctx.interval.start, end: ctx.interval.end, params: ctx.params,
    tryNumber: ctx.tryNumber, maxTries: ctx.maxTries, idempotencyKey: ctx.idempotencyKey, aborted: ctx.signal.aborted,
  }));
  p.task("throws", async () => { throw new TypeError("bad row 7"); });
  p.task("throws_string", async () => { throw "plain string"; });
  p.task("unserializable", async () => ({ rows: [{ conn: new Connection("pg://") }] }));
  p.task("skips", async () => { throw new SkipTask("nothing to do today"); });
  p.task("no_retry", async () => { throw new FailWithoutRetry("bad credentials"); });
  p.task("logs", async (ctx) => {
    console.log("hello from", ctx.taskId);
    console.error("to stderr");
    process.stdout.write("partial ");
    process.stdout.write("line\\n");
    ctx.log.info("rows loaded", { rows: 42 });
    ctx.log.warn("careful");
    return 1;
  });
  p.task("quiet", async () => 1);
  p.task("sync_value", (ctx) => {
    void Promise.resolve().then(() => ctx.log.info("queued before return"));
    return 5;
  });
  p.task("sync_throws", () => { throw new RangeError("thrown at once"); });
  p.task("thenable", () => ({ then(resolve: (value: number) => void) { resolve(7); } }));
  const items = p.task("items", async () => [1, 2, 3]);
  p.task("double", { map: items }, async (ctx, item) => ({ index: ctx.mapIndex, value: item * 2 }));
  p.task("uncaught", async () => {
    setTimeout(() => { throw new Error("thrown from a timer"); }, 1);
    await new Promise(() => {});
  });
  p.task("rejects_later", async () => {
    void Promise.reject(new Error("nobody awaited me"));
    await new Promise(() => {});
  });
});
`,
  );
  version = await versionOf(pool, file, "tasks");
});

afterAll(async () => {
  await pool.close();
  tmp.remove();
});

const job = (taskId: string, extra = {}) => makeJob(tmp.dir, file, version, "tasks", taskId, extra);

describe("running a function task", () => {
  it("returns Date, Map, Set, bigint, bytes and undefined intact", async () => {
    const result = await run(job("rich"));
    expect(result.outcome).toBe("success");
    if (result.outcome !== "success") return;
    const value = decodeValue(result.output) as Record<string, unknown>;
    expect(value.when).toEqual(new Date(Date.UTC(2025, 8, 1)));
    expect(value.counts).toEqual(new Map([["a", 1n]]));
    expect(value.tags).toEqual(new Set(["x"]));
    expect(value.bytes).toEqual(new Uint8Array([104, 105]));
    expect("nothing" in value).toBe(true);

    const sum = await run(job("sum", { inputs: { rich: result.output } }));
    expect(sum).toEqual({ outcome: "success", output: encodeValue(2n, "x") });
  });

  it("gives the task its context, with params parsed through the schema", async () => {
    const j = job("context", { params: { day: "tue" }, tryNumber: 2, maxTries: 3 });
    const result = await run(j);
    expect(result.outcome).toBe("success");
    if (result.outcome !== "success") return;
    expect(decodeValue(result.output)).toEqual({
      runId: j.runId,
      pipelineId: "tasks",
      taskId: "context",
      mapIndex: -1,
      logicalDate: new Date(j.logicalDateMs),
      start: new Date(j.intervalStartMs),
      end: new Date(j.intervalEndMs),
      params: { day: "TUE" },
      tryNumber: 2,
      maxTries: 3,
      idempotencyKey: j.idempotencyKey,
      aborted: false,
    });
  });

  it("runs a mapped instance with its item", async () => {
    const result = await run(job("double", { mapIndex: 1, item: encodeValue(2, "x") }));
    expect(result.outcome === "success" && decodeValue(result.output)).toEqual({ index: 1, value: 4 });
  });

  it("turns a throw into a retryable failure with name, message and stack", async () => {
    const result = await run(job("throws"));
    expect(result).toMatchObject({ outcome: "failure", error: { name: "TypeError", message: "bad row 7", retryable: true, kind: "error" } });
    if (result.outcome === "failure") expect(result.error.stack).toContain("tasks.ts");
    const plain = await run(job("throws_string"));
    expect(plain).toMatchObject({ outcome: "failure", error: { retryable: true, kind: "error" } });
    if (plain.outcome === "failure") expect(plain.error.message).toContain("plain string");
  });

  it("fails without retry when the output can't be serialized, naming the task and the path", async () => {
    const result = await run(job("unserializable"));
    expect(result).toMatchObject({ outcome: "failure", error: { retryable: false, kind: "error" } });
    if (result.outcome === "failure") {
      expect(result.error.message).toBe(`task "unserializable" returned a value that can't be serialized: Cannot stringify arbitrary non-POJOs (at .rows[0].conn)`);
    }
  });

  it("skips on an error named SkipTask and doesn't retry one named FailWithoutRetry", async () => {
    expect(await run(job("skips"))).toEqual({ outcome: "skipped", reason: "nothing to do today" });
    expect(await run(job("no_retry"))).toMatchObject({ outcome: "failure", error: { name: "FailWithoutRetry", message: "bad credentials", retryable: false } });
  });

  it("fails the try on an uncaught exception or unhandled rejection, and the worker goes on", async () => {
    const spawned = pool.stats().spawned;
    expect(await run(job("uncaught"))).toMatchObject({ outcome: "failure", error: { message: "thrown from a timer", retryable: true } });
    expect(await run(job("rejects_later"))).toMatchObject({ outcome: "failure", error: { message: "nobody awaited me", retryable: true } });
    expect((await run(job("quiet"))).outcome).toBe("success");
    expect(pool.stats().spawned).toBe(spawned);
  });

  it("writes console output and ctx.log lines to the try's log, and no file for a quiet try", async () => {
    const j = job("logs");
    expect((await run(j)).outcome).toBe("success");
    const lines = readLog(j.logPath).trimEnd().split("\n");
    const bodies = lines.map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""));
    expect(bodies).toEqual(["out hello from logs", "err to stderr", "out partial line", 'info rows loaded {"rows":42}', "warn careful"]);

    const quiet = job("quiet");
    expect((await run(quiet)).outcome).toBe("success");
    expect(existsSync(quiet.logPath)).toBe(false);
  });

  it("takes a plain return value, a synchronous throw and a thenable as await would", async () => {
    const j = job("sync_value");
    const value = await run(j);
    expect(value.outcome === "success" && decodeValue(value.output)).toBe(5);
    // What the task queued before returning still ran as part of the try: its line is in the try's log.
    expect(readLog(j.logPath)).toMatch(/ info queued before return\n/);
    expect(await run(job("sync_throws"))).toMatchObject({ outcome: "failure", error: { name: "RangeError", message: "thrown at once", retryable: true, kind: "error" } });
    const thenable = await run(job("thenable"));
    expect(thenable.outcome === "success" && decodeValue(thenable.output)).toBe(7);
  });

  it("writes the error of a failed try to its log", async () => {
    const j = job("throws");
    await run(j);
    expect(readLog(j.logPath)).toMatch(/ error TypeError: bad row 7/);
  });

  it("runs many tries on few workers, each result reported once", async () => {
    const jobs = Array.from({ length: 200 }, () => job("quiet"));
    const outcomes = await Promise.all(jobs.map((j) => run(j)));
    expect(outcomes.every((r) => r.outcome === "success")).toBe(true);
    expect(pool.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(pool.stats().workers).toBeLessThanOrEqual(2);
    expect([...results.entries()].filter(([, list]) => list.length !== 1)).toEqual([]);
  });
});
