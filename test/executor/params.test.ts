// Params are parsed in a worker against the pipeline's zod schema: `--param` strings coerced by type,
// unknown names and invalid values reported per param. A run stores the validated input; each try
// parses it once, so a function task and a shell task see the same transformed values.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeValue } from "../../src/worker/value-codec.js";
import { makeJob, makePool, makeTempDir, readLog, versionOf } from "./helpers.js";

const tmp = makeTempDir();
const { pool, run } = makePool({ size: 1 });
let file = "";

beforeAll(() => {
  file = tmp.write(
    "params.ts",
    `import { pipeline } from "weir";
import { z } from "zod";
export const typed = pipeline({
  id: "typed",
  params: z.object({
    threshold: z.number().default(0.6),
    limit: z.int().min(1).optional(),
    dry: z.boolean().default(false),
    name: z.string().default("x"),
    tags: z.array(z.string()).default([]),
    window: z.object({ days: z.number() }).optional(),
    maybe: z.number().nullable().optional(),
  }),
}, (p) => { p.task("t", async () => 1); });
export const plain = pipeline({ id: "plain" }, (p) => { p.task("t", async () => 1); });
export const transformed = pipeline({
  id: "transformed",
  params: z.object({ n: z.number().transform((n) => n * 10), day: z.coerce.date(), label: z.string().default("none") }),
}, (p) => {
  p.task("fn", async (ctx) => ({ n: ctx.params.n, day: ctx.params.day, isDate: ctx.params.day instanceof Date, label: ctx.params.label }));
  p.shell("sh", 'echo "$WEIR_PARAM_N|$WEIR_PARAM_DAY|$WEIR_PARAM_LABEL"');
});
`,
  );
});

afterAll(async () => {
  await pool.close();
  tmp.remove();
});

describe("parseParams", () => {
  it("coerces --param strings by the schema's types and returns what was given (defaults come per try)", async () => {
    const result = await pool.parseParams({
      file,
      pipelineId: "typed",
      raw: { threshold: "0.75", limit: "3", dry: "yes", name: "123", tags: '["a","b"]', window: '{"days":7}', maybe: "null" },
    });
    expect(result).toEqual({ ok: true, params: { threshold: 0.75, limit: 3, dry: true, name: "123", tags: ["a", "b"], window: { days: 7 }, maybe: null } });
    expect(await pool.parseParams({ file, pipelineId: "typed", raw: { dry: "0" } })).toEqual({ ok: true, params: { dry: false } });
  });

  it("applies a transform once, and gives function and shell tasks the same values (a coerced date is a Date)", async () => {
    const parsed = await pool.parseParams({ file, pipelineId: "transformed", raw: { n: "2", day: "2025-09-01" } });
    expect(parsed).toEqual({ ok: true, params: { n: 2, day: "2025-09-01" } });
    if (!parsed.ok) return;
    const version = await versionOf(pool, file, "transformed");
    // What the store gives back: JSON.
    const params = JSON.parse(JSON.stringify(parsed.params)) as Record<string, unknown>;

    const fn = await run(makeJob(tmp.dir, file, version, "transformed", "fn", { params }));
    expect(fn.outcome === "success" && decodeValue(fn.output)).toEqual({ n: 20, day: new Date(Date.UTC(2025, 8, 1)), isDate: true, label: "none" });

    const shJob = makeJob(tmp.dir, file, version, "transformed", "sh", { params });
    const sh = await run(shJob);
    expect(sh.outcome === "success" && decodeValue(sh.output)).toBe("20|2025-09-01T00:00:00.000Z|none");
    expect(readLog(shJob.logPath)).toMatch(/ out 20\|2025-09-01T00:00:00\.000Z\|none\n$/);
  });

  it("takes JSON values as they are", async () => {
    expect(await pool.parseParams({ file, pipelineId: "typed", values: { threshold: 1, tags: ["z"] } })).toMatchObject({ ok: true, params: { threshold: 1, tags: ["z"] } });
    expect(await pool.parseParams({ file, pipelineId: "typed", values: { threshold: "1" } })).toMatchObject({ ok: false, problems: [{ param: "threshold" }] });
  });

  it("reports values that don't coerce or validate, per param", async () => {
    const result = await pool.parseParams({ file, pipelineId: "typed", raw: { threshold: "abc", dry: "maybe", limit: "Infinity" } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.param).sort()).toEqual(["dry", "limit", "threshold"]);
    expect(result.problems.find((p) => p.param === "threshold")?.message).toBe('expected a number, got "abc"');

    const invalid = await pool.parseParams({ file, pipelineId: "typed", raw: { limit: "0", window: '{"days":"x"}' } });
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.problems.map((p) => p.param).sort()).toEqual(["limit", "window.days"]);
  });

  it("names unknown params and the known ones", async () => {
    expect(await pool.parseParams({ file, pipelineId: "typed", raw: { treshold: "1" } })).toEqual({
      ok: false,
      problems: [{ param: "treshold", message: "unknown param 'treshold' (known: threshold, limit, dry, name, tags, window, maybe)" }],
    });
    expect(await pool.parseParams({ file, pipelineId: "plain", raw: { x: "1" } })).toEqual({
      ok: false,
      problems: [{ param: "x", message: "unknown param 'x' (this pipeline takes no params)" }],
    });
    expect(await pool.parseParams({ file, pipelineId: "plain" })).toEqual({ ok: true, params: {} });
  });

  it("reports an unknown pipeline", async () => {
    const result = await pool.parseParams({ file, pipelineId: "nope", raw: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toContain("defines no pipeline nope");
  });
});
