// A try runs the pipeline version its run started with: an older version stays usable while its module
// is loaded in the worker; a version that can't be found fails clearly, without retry.
import { afterAll, describe, expect, it } from "vitest";
import { decodeValue } from "../../src/worker/value-codec.js";
import { makeJob, makePool, makeTempDir, versionOf } from "./helpers.js";

const tmp = makeTempDir();
const source = (n: number) => `import { pipeline } from "weir";\nexport default pipeline({ id: "ver" }, (p) => { p.task("t", async () => ${n}); });\n`;
const pools: ReturnType<typeof makePool>[] = [];

afterAll(async () => {
  await Promise.all(pools.map((p) => p.pool.close()));
  tmp.remove();
});

describe("pipeline versions", () => {
  it("runs each try at its run's version and refuses one that is gone", async () => {
    const first = makePool({ size: 1 });
    pools.push(first);
    const file = tmp.write("ver.ts", source(1));
    const v1 = await versionOf(first.pool, file, "ver");
    tmp.write("ver.ts", source(2));
    const v2 = await versionOf(first.pool, file, "ver");
    expect(v2).not.toBe(v1);

    const out = async (pool: ReturnType<typeof makePool>, version: string) => pool.run(makeJob(tmp.dir, file, version, "ver", "t"));
    const old = await out(first, v1);
    expect(old.outcome === "success" && decodeValue(old.output)).toBe(1);
    const current = await out(first, v2);
    expect(current.outcome === "success" && decodeValue(current.output)).toBe(2);

    const fresh = makePool({ size: 1 });
    pools.push(fresh);
    expect(await out(fresh, v2)).toMatchObject({ outcome: "success" });
    const gone = await out(fresh, v1);
    expect(gone).toMatchObject({ outcome: "failure", error: { name: "PipelineVersionUnavailableError", retryable: false } });
    if (gone.outcome === "failure") {
      expect(gone.error.message).toBe(`pipeline ver version ${v1} is not the version in test/executor/${tmp.dir.split("/").pop()}/ver.ts (${v2}); the file changed since the run started`);
    }
  });

  it("makes a new version when module code outside the task functions changes", async () => {
    const own = makePool({ size: 1 });
    pools.push(own);
    const moduleSource = (factor: number) =>
      `import { pipeline } from "weir";\nimport { offset } from "./helper.js";\nconst FACTOR = ${factor};\nexport default pipeline({ id: "mod" }, (p) => { p.task("t", async () => FACTOR + offset()); });\n`;
    const helperSource = (n: number) => `export function offset(): number { return ${n}; }\n`;
    tmp.write("helper.ts", helperSource(0));
    const file = tmp.write("mod.ts", moduleSource(1));
    const v1 = await versionOf(own.pool, file, "mod");
    expect(await versionOf(own.pool, file, "mod")).toBe(v1); // unchanged code: same version

    tmp.write("mod.ts", moduleSource(2)); // a module-level constant; the task's source is the same
    const v2 = await versionOf(own.pool, file, "mod");
    tmp.write("helper.ts", helperSource(10)); // a local module it imports
    const v3 = await versionOf(own.pool, file, "mod");
    expect(new Set([v1, v2, v3]).size).toBe(3);

    // Each version runs its own code, all three still loaded in the worker.
    const outputs: unknown[] = [];
    for (const version of [v1, v2, v3]) {
      const result = await own.run(makeJob(tmp.dir, file, version, "mod", "t"));
      outputs.push(result.outcome === "success" ? decodeValue(result.output) : result);
    }
    expect(outputs).toEqual([1, 2, 12]);

    // Another worker computes the same version from the same code.
    const other = makePool({ size: 1 });
    pools.push(other);
    expect(await versionOf(other.pool, file, "mod")).toBe(v3);
  });

  it("reports a worker that dies while loading", async () => {
    const { pool } = makePool({ size: 1 });
    pools.push({ pool } as ReturnType<typeof makePool>);
    const file = tmp.write("dies.ts", `process.exit(7);\nexport default 1;\n`);
    const result = await pool.load(file);
    expect(result.problems).toEqual([expect.objectContaining({ code: "load_crashed" })]);
    expect(result.problems[0]?.message).toContain("exited with code 7");
  });
});
