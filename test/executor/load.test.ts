// Loading pipeline files in a worker: good files compile, bad ones give one clear problem each.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePool, makeTempDir } from "./helpers.js";

const tmp = makeTempDir();
const { pool } = makePool({ size: 2 });

beforeAll(() => {});
afterAll(async () => {
  await pool.close();
  tmp.remove();
});

describe("LocalWorkerPool.load", () => {
  it("loads the default and named pipeline exports of a TypeScript file", async () => {
    const file = tmp.write(
      "good.ts",
      `import { pipeline } from "weir";
import { z } from "zod";
const helper = (n: number): number => n * 2;
export default pipeline({ id: "good_default", schedule: "@daily", start: "2025-09-01", params: z.object({ n: z.number().default(1) }) }, (p) => {
  const a = p.task("a", async () => helper(1));
  p.task("b", { needs: { a } }, async (_ctx, { a }) => a + 1);
});
export const second = pipeline({ id: "good_named" }, (p) => { p.shell("s", "echo hi"); });
export const same = second;
export const notAPipeline = 42;
`,
    );
    const result = await pool.load(file);
    expect(result.problems).toEqual([]);
    expect(result.file).toBe(file);
    expect(result.pipelines.map((p) => p.id).sort()).toEqual(["good_default", "good_named"]);
    const good = result.pipelines.find((p) => p.id === "good_default");
    expect(good?.tasks.map((t) => t.id)).toEqual(["a", "b"]);
    expect(good?.version).toMatch(/\S/);
  });

  it("reports a syntax error with its file, line and column", async () => {
    const file = tmp.write("syntax.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "x" }, (p) => {\n  const = 1;\n});\n`);
    const result = await pool.load(file);
    expect(result.pipelines).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ file, code: "import_failed" });
    expect(result.problems[0]?.message).toMatch(/syntax\.ts:3:\d+/);
    expect(result.problems[0]?.message).not.toContain("\n");
  });

  it("reports a throw at import with the message and the .ts line it came from", async () => {
    const file = tmp.write("throws.ts", `import { pipeline } from "weir";\nconst config: string = "x";\nthrow new Error("no database url " + config);\nexport default pipeline({ id: "t" }, () => {});\n`);
    const result = await pool.load(file);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.code).toBe("import_failed");
    expect(result.problems[0]?.message).toContain("no database url x");
    expect(result.problems[0]?.message).toMatch(/throws\.ts:3:\d+/);
  });

  it("reports a missing package and a missing local module", async () => {
    const pkg = tmp.write("missing-pkg.ts", `import { nothing } from "no-such-package-weir";\nexport default nothing;\n`);
    const local = tmp.write("missing-local.ts", `import { nothing } from "./no-such-file.js";\nexport default nothing;\n`);
    const [a, b] = await Promise.all([pool.load(pkg), pool.load(local)]);
    expect(a.problems[0]?.code).toBe("import_failed");
    expect(a.problems[0]?.message).toContain("no-such-package-weir");
    expect(a.problems[0]?.message).not.toContain(".weir-");
    expect(b.problems[0]?.code).toBe("import_failed");
    expect(b.problems[0]?.message).toMatch(/no-such-file.*missing-local\.ts:1:\d+/);
  });

  it("reports a file without a pipeline export", async () => {
    const file = tmp.write("none.ts", `export const x = 1;\n`);
    const result = await pool.load(file);
    expect(result.pipelines).toEqual([]);
    expect(result.problems).toEqual([expect.objectContaining({ file, code: "no_pipeline" })]);
  });

  it("reports two pipelines with the same id in one file", async () => {
    const file = tmp.write(
      "dup.ts",
      `import { pipeline } from "weir";
export const a = pipeline({ id: "dup" }, (p) => { p.task("x", async () => 1); });
export const b = pipeline({ id: "dup" }, (p) => { p.task("y", async () => 2); });
`,
    );
    const result = await pool.load(file);
    expect(result.problems).toEqual([expect.objectContaining({ code: "pipeline_duplicate", pipeline: "dup" })]);
    expect(result.pipelines).toEqual([]);
  });

  it("reports an invalid schedule as a problem of that pipeline", async () => {
    const file = tmp.write("sched.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "sched", schedule: "every tuesday-ish" }, (p) => { p.task("x", async () => 1); });\n`);
    const result = await pool.load(file);
    expect(result.pipelines).toEqual([]);
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.problems[0]).toMatchObject({ file, pipeline: "sched" });
  });

  it("leaves no temporary module next to the source, and removes those of dead workers", async () => {
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(tmp.dir).filter((name) => name.includes(".weir-"))).toEqual([]);
    const file = tmp.write("stale.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "stale" }, (p) => { p.task("x", async () => 1); });\n`);
    // pid 2^22+1 is above Linux's pid_max default range: no such process
    tmp.write(".stale.ts.weir-4194305-abcdef.mjs", "export default 1;\n");
    expect((await pool.load(file)).problems).toEqual([]);
    expect(readdirSync(tmp.dir).filter((name) => name.includes(".weir-"))).toEqual([]);
  });

  it("picks up a changed file on the next load", async () => {
    const file = tmp.write("change.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "change" }, (p) => { p.task("one", async () => 1); });\n`);
    const first = await pool.load(file);
    tmp.write("change.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "change" }, (p) => { p.task("two", async () => 2); });\n`);
    const second = await pool.load(file);
    expect(first.pipelines[0]?.tasks.map((t) => t.id)).toEqual(["one"]);
    expect(second.pipelines[0]?.tasks.map((t) => t.id)).toEqual(["two"]);
    expect(second.pipelines[0]?.version).not.toBe(first.pipelines[0]?.version);
  });

  it("times out a file that loops at import and kills its worker", async () => {
    const { pool: slow } = makePool({ size: 1, loadTimeoutMs: 1000 });
    try {
      const file = tmp.write("loop.ts", `for (;;) {}\nexport default 1;\n`);
      const result = await slow.load(file);
      expect(result.problems).toEqual([expect.objectContaining({ code: "load_timeout" })]);
      const good = tmp.write("after-loop.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "after_loop" }, (p) => { p.task("x", async () => 1); });\n`);
      expect((await slow.load(good)).pipelines.map((p) => p.id)).toEqual(["after_loop"]);
    } finally {
      await slow.close();
    }
  });
});
