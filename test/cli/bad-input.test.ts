// Bad input (DESIGN.md §4): exit 2, one line on stderr naming the problem and where, no stack trace, and
// nothing written to the store. Broken pipeline files are written at test time into a temp dir inside
// the package, so their `import { pipeline } from "weir"` resolves as in a user's project.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badInputLine, expectNoRuns, makeHome, makeTempDir, runIdOf, type Home } from "./helpers.js";

const BROKEN: Record<string, string> = {
  "syntax_error.ts": `import { pipeline } from "weir";
export default pipeline({ id: "syntax_error" }, (p) => {
  p.task("a", async () => { return 1;
});
`,
  "throws_at_import.ts": `import { pipeline } from "weir";
const config: Record<string, string> = {};
if (!config.token) throw new Error("no token configured for the warehouse");
export default pipeline({ id: "throws_at_import" }, (p) => {
  p.task("a", async () => 1);
});
`,
  // References forged by hand (as plain JS would): a's `after` names c before c exists.
  "cycle.js": `import { pipeline } from "weir";
export default pipeline({ id: "cyclic" }, (p) => {
  const a = p.task("a", { after: [{ kind: "task", id: "c" }] }, async () => 1);
  const b = p.task("b", { after: [a] }, async () => 2);
  p.task("c", { after: [b] }, async () => 3);
});
`,
  "unknown_dependency.ts": `import { pipeline } from "weir";
export default pipeline({ id: "unknown_dependency" }, (p) => {
  const a = p.task("a", async () => 1);
  p.task("b", { after: [a, { kind: "task", id: "ghost" }] }, async () => 2);
});
`,
  "duplicate_task.ts": `import { pipeline } from "weir";
export default pipeline({ id: "duplicate_task" }, (p) => {
  p.task("extract", async () => 1);
  p.task("extract", async () => 2);
});
`,
  "bad_duration.ts": `import { pipeline } from "weir";
export default pipeline({ id: "bad_duration" }, (p) => {
  p.task("slow", { retries: 1, retryDelay: "10 seconds" as "10s" }, async () => 1);
});
`,
  "two_problems.ts": `import { pipeline } from "weir";
export default pipeline({ id: "two_problems" }, (p) => {
  p.task("slow", { retryDelay: "10 seconds" as "10s" }, async () => 1);
  p.task("slower", { timeout: "forever" as "1h" }, async () => 1);
});
`,
  "bad_schedule.ts": `import { pipeline } from "weir";
export default pipeline({ id: "bad_schedule", schedule: "61 * * * *" }, (p) => {
  p.task("a", async () => 1);
});
`,
};

describe.concurrent("bad input to weir run, tasks and logs", () => {
  const temp = makeTempDir();
  const files: Record<string, string> = {};
  const homes: Home[] = [];
  const home = (): Home => {
    const h = makeHome();
    homes.push(h);
    return h;
  };

  beforeAll(() => {
    for (const [name, text] of Object.entries(BROKEN)) files[name] = temp.write(name, text);
  });
  afterAll(() => {
    temp.remove();
    for (const h of homes) h.remove();
  });

  it("unknown file", async () => {
    const h = home();
    const line = badInputLine(await h.weir(["run", "test/cli/fixtures/no_such_pipeline.ts"]));
    expect(line).toMatch(/no such file/);
    expect(line).toContain("test/cli/fixtures/no_such_pipeline.ts");
    expect(existsSync(h.db)).toBe(false);
  });

  it("unknown pipeline id", async () => {
    const h = home();
    const line = badInputLine(await h.weir(["run", "no_such_pipeline"]));
    expect(line).toContain('"no_such_pipeline"');
    await expectNoRuns(h, "no_such_pipeline");
  });

  const paramCases: [string, string[], RegExp][] = [
    ["unknown param", ["--param", "nope=1"], /param nope: unknown param/],
    ["param of the wrong type", ["--param", "threshold=abc"], /param threshold: .*"abc"/],
    ["param out of range", ["--param", "threshold=2"], /param threshold: .*(<=\s*1|too big)/i],
    ["malformed --param", ["--param", "threshold"], /--param "threshold" must look like name=value/],
    ["bad --logical-date", ["--logical-date", "2025-13-45"], /logical date "2025-13-45" is not a date/],
  ];
  for (const [name, args, pattern] of paramCases) {
    it(name, async () => {
      const h = home();
      const line = badInputLine(await h.weir(["run", "examples/ml_training.ts", ...args]));
      expect(line).toMatch(pattern);
      if (args[0] === "--param" && args[1]?.includes("=")) expect(line).toContain("ml_training"); // where: the pipeline
      await expectNoRuns(h, "ml_training");
    });
  }

  const fileCases: [string, string, string, RegExp][] = [
    ["a syntax error", "syntax_error.ts", "syntax_error", /syntax_error\.ts.*:\d+:\d+/],
    ["a file that throws at import", "throws_at_import.ts", "throws_at_import", /no token configured for the warehouse.*throws_at_import\.ts:3:\d+/],
    ["a cycle", "cycle.js", "cyclic", /cycle\.js \(pipeline cyclic, task a\): .*a → b → c → a/],
    ["an unknown dependency", "unknown_dependency.ts", "unknown_dependency", /unknown_dependency\.ts \(pipeline unknown_dependency, task b\): .*"ghost"/],
    ["a duplicate task id", "duplicate_task.ts", "duplicate_task", /duplicate_task\.ts \(pipeline duplicate_task, task extract\): .*"extract".*twice/],
    ["a bad duration", "bad_duration.ts", "bad_duration", /bad_duration\.ts \(pipeline bad_duration, task slow\): .*"10 seconds" is not a duration/],
    ["a bad schedule", "bad_schedule.ts", "bad_schedule", /bad_schedule\.ts \(pipeline bad_schedule\): .*"61 \* \* \* \*"/],
  ];
  for (const [name, file, pipelineId, pattern] of fileCases) {
    it(`a pipeline file with ${name}`, async () => {
      const h = home();
      const line = badInputLine(await h.weir(["run", files[file] as string]));
      expect(line).toMatch(pattern);
      await expectNoRuns(h, pipelineId);
    });
  }

  it("a param given to a pipeline without params", async () => {
    const h = home();
    const line = badInputLine(await h.weir(["run", "examples/etl_daily.ts", "--param", "limit=5"]));
    expect(line).toMatch(/param limit: unknown param/);
    await expectNoRuns(h, "etl_daily");
  });

  // DESIGN.md §4: one line on stderr, even when the file has several problems (weir validate lists them one by one).
  it("a pipeline file with two problems gets one line naming both", async () => {
    const h = home();
    const line = badInputLine(await h.weir(["run", files["two_problems.ts"] as string]));
    expect(line).toMatch(/task slow\b.*"10 seconds"/);
    expect(line).toMatch(/task slower\b.*"forever"/);
    await expectNoRuns(h, "two_problems");
  });

  it("unknown run id for tasks and logs; unknown task for logs", async () => {
    const h = home();
    const tasks = badInputLine(await h.weir(["tasks", "manual_20250101T000000Z_deadbeef"]));
    expect(tasks).toMatch(/no run with id "manual_20250101T000000Z_deadbeef"/);
    const tasksJson = badInputLine(await h.weir(["tasks", "manual_20250101T000000Z_deadbeef", "--json"]));
    expect(tasksJson).toMatch(/no run with id/);
    const logsLine = badInputLine(await h.weir(["logs", "manual_20250101T000000Z_deadbeef", "extract"]));
    expect(logsLine).toMatch(/no run with id "manual_20250101T000000Z_deadbeef"/);

    const ran = await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03"]);
    expect(ran.code, ran.stderr).toBe(0);
    const runId = runIdOf(ran);
    const noTask = badInputLine(await h.weir(["logs", runId, "no_such_task"]));
    expect(noTask).toContain('"no_such_task"');
    expect(noTask).toContain(runId);
    const noTry = badInputLine(await h.weir(["logs", runId, "extract", "--try", "7"]));
    expect(noTry).toMatch(/no try 7/);
  });
});
