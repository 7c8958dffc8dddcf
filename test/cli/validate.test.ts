// `weir validate <path>`: every pipeline file under the path loaded, every problem listed with its file
// (and pipeline and task where there is one); exit 0 when clean, 2 otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeHome, makeTempDir, type Home } from "./helpers.js";

interface ValidateReport {
  ok: boolean;
  files: number;
  pipelines: { id: string; file: string; tasks: number; version: string }[];
  problems: { file: string; pipeline?: string; task?: string; code: string; message: string }[];
}

const FILES: Record<string, string> = {
  "fine.ts": `import { pipeline } from "weir";
export default pipeline({ id: "fine", schedule: "@hourly" }, (p) => {
  const a = p.task("a", async () => 1);
  p.task("b", { needs: { a } }, async (_ctx, { a }) => a + 1);
});
`,
  // A helper module without pipelines is fine inside a directory.
  "lib/helpers.ts": `export const double = (n: number): number => n * 2;
`,
  "syntax_error.ts": `import { pipeline } from "weir";
export default pipeline({ id: "syntax_error" }, (p) => {
  p.task("a", async () => { return 1;
});
`,
  "throws_at_import.ts": `import { pipeline } from "weir";
throw new Error("warehouse credentials missing");
export default pipeline({ id: "throws_at_import" }, (p) => { p.task("a", async () => 1); });
`,
  "cycle.ts": `import { pipeline } from "weir";
export default pipeline({ id: "cyclic" }, (p) => {
  const a = p.task("a", { after: [{ kind: "task", id: "c" }] }, async () => 1);
  const b = p.task("b", { after: [a] }, async () => 2);
  p.task("c", { after: [b] }, async () => 3);
});
`,
  "unknown_dependency.ts": `import { pipeline } from "weir";
export default pipeline({ id: "unknown_dependency" }, (p) => {
  p.task("load", { after: [{ kind: "task", id: "ghost" }] }, async () => 2);
});
`,
  "duplicate_task.ts": `import { pipeline } from "weir";
export default pipeline({ id: "duplicate_task" }, (p) => {
  p.task("extract", async () => 1);
  p.task("extract", async () => 2);
});
`,
  // Two problems in one pipeline: both are listed.
  "bad_durations.ts": `import { pipeline } from "weir";
export default pipeline({ id: "bad_durations" }, (p) => {
  p.task("slow", { retries: 1, retryDelay: "10 seconds" as "10s" }, async () => 1);
  p.task("slower", { timeout: "forever" as "1h" }, async () => 1);
});
`,
  "bad_schedule.ts": `import { pipeline } from "weir";
export default pipeline({ id: "bad_schedule", schedule: "61 * * * *" }, (p) => {
  p.task("a", async () => 1);
});
`,
  "bad_params.ts": `import { z } from "zod";
import { pipeline } from "weir";
export default pipeline({ id: "bad_params", params: z.string() as never }, (p) => {
  p.task("a", async () => 1);
});
`,
  "twin_a.ts": `import { pipeline } from "weir";
export default pipeline({ id: "twin" }, (p) => { p.task("a", async () => 1); });
`,
  "twin_b.ts": `import { pipeline } from "weir";
export default pipeline({ id: "twin" }, (p) => { p.task("b", async () => 1); });
`,
};

describe("weir validate", () => {
  const temp = makeTempDir();
  let h: Home;
  let dir: string;
  beforeAll(() => {
    h = makeHome();
    for (const [name, text] of Object.entries(FILES)) temp.write(`broken/${name}`, text);
    dir = `${temp.rel}/broken`;
  });
  afterAll(() => {
    temp.remove();
    h.remove();
  });

  it("accepts examples/ with a summary on stdout and exit 0", async () => {
    const result = await h.weir(["validate", "examples/"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("ok  examples/etl_daily.ts: etl_daily (3 tasks)");
    expect(result.stdout).toContain("ok  examples/ml_training.ts: ml_training (2 tasks)");
    expect(result.stdout).toContain("ok  examples/shop_daily.ts: shop_daily (6 tasks)");
    expect(result.stdout).toContain("ok  examples/daily_training.ts: daily_training (9 tasks; mapped at run time: train over validate, evaluate over train)");
    expect(result.stdout).toMatch(/^4 files, 4 pipelines, 0 problems$/m);
    expect(result.stderr).toBe("");

    const json = await h.weir(["validate", "examples/", "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as ValidateReport;
    expect(report).toMatchObject({ ok: true, files: 4, problems: [] });
    expect(report.pipelines.map((p) => p.id).sort()).toEqual(["daily_training", "etl_daily", "ml_training", "shop_daily"]);
  });

  it("lists every problem of a directory of broken files with its file and task, exit 2", async () => {
    const result = await h.weir(["validate", dir]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toContain("    at ");
    const problems = result.stderr.split("\n").filter((l) => l.startsWith("✖ "));
    const expected: RegExp[] = [
      /^✖ \S*syntax_error\.ts: .*syntax_error\.ts:\d+:\d+/,
      /^✖ \S*throws_at_import\.ts: warehouse credentials missing.*throws_at_import\.ts:2:\d+/,
      /^✖ \S*cycle\.ts \(pipeline cyclic, task a\): .*a → b → c → a$/,
      /^✖ \S*unknown_dependency\.ts \(pipeline unknown_dependency, task load\): .*"ghost"/,
      /^✖ \S*duplicate_task\.ts \(pipeline duplicate_task, task extract\): .*"extract"/,
      /^✖ \S*bad_durations\.ts \(pipeline bad_durations, task slow\): .*"10 seconds" is not a duration/,
      /^✖ \S*bad_durations\.ts \(pipeline bad_durations, task slower\): .*"forever" is not a duration/,
      /^✖ \S*bad_schedule\.ts \(pipeline bad_schedule\): .*"61 \* \* \* \*"/,
      /^✖ \S*bad_params\.ts \(pipeline bad_params\): .*params must be a zod object schema/,
      /^✖ \S*twin_b\.ts \(pipeline twin\): .*"twin".*twin_a\.ts/,
    ];
    for (const pattern of expected) expect(problems.filter((l) => pattern.test(l)), `${pattern}\n${result.stderr}`).toHaveLength(1);
    expect(problems).toHaveLength(expected.length);
    for (const line of problems) expect(line).toContain(temp.rel); // each names its file
    expect(result.stdout).toContain(`ok  ${dir}/fine.ts: fine (2 tasks)`);
    expect(result.stderr).toMatch(/^12 files, 3 pipelines, 10 problems$/m); // fine, twin_a, twin_b load; lib/helpers.ts is no problem

    const json = await h.weir(["validate", dir, "--json"]);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as ValidateReport;
    expect(Object.keys(report).sort()).toEqual(["files", "ok", "pipelines", "problems"]);
    expect(report.ok).toBe(false);
    expect(report.files).toBe(12);
    expect(report.problems).toHaveLength(10);
    for (const problem of report.problems) {
      expect(typeof problem.code).toBe("string");
      expect(typeof problem.message).toBe("string");
      expect(problem.file).toContain(temp.rel);
    }
    const cycle = report.problems.find((p) => p.code === "pipeline_cycle");
    expect(cycle).toMatchObject({ pipeline: "cyclic", task: "a" });
    expect(cycle?.message).toContain("a → b → c → a");
    expect(report.problems.filter((p) => p.pipeline === "bad_durations").map((p) => p.task).sort()).toEqual(["slow", "slower"]);
    const fine = report.pipelines.find((p) => p.id === "fine");
    expect(fine).toMatchObject({ tasks: 2 });
    expect(typeof fine?.version).toBe("string");
  });

  it("names a single file that defines no pipeline as a problem", async () => {
    const file = temp.write("only_helpers.ts", "export const x = 1;\n");
    const result = await h.weir(["validate", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/only_helpers\.ts: .*exports no pipeline/);
  });
});
