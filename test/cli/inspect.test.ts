// The inspect commands (`weir runs`, `weir tasks`, `weir logs`) in text and JSON, a worker that dies
// mid-task, and `weir run <pipeline-id>` after a run by file.
import { afterEach, describe, expect, it } from "vitest";
import { byTask, fixture, logs, makeHome, RUN_KEYS, runDocument, runIdOf, statesOf, TASK_KEYS, processesOf, waitFor, type Home, type RunDocument } from "./helpers.js";

const STAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

describe("weir runs, tasks and logs", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("show a pipeline's runs, a run's task instances and a try's timestamped log, in text and JSON", async () => {
    h = makeHome();
    const first = await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-02"]);
    const second = await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03"]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const [older, newer] = [runIdOf(first), runIdOf(second)];

    const runsText = await h.weir(["runs", "etl_daily"]);
    expect(runsText.code, runsText.stderr).toBe(0);
    const rows = runsText.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^RUN\s+STATE\s+LOGICAL DATE\s+DURATION$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(0, 3))).toEqual([
      [newer, "success", "2025-09-03T00:00:00.000Z"],
      [older, "success", "2025-09-02T00:00:00.000Z"],
    ]);

    const runsJson = await h.weir(["runs", "etl_daily", "--json"]);
    expect(runsJson.code).toBe(0);
    const listed = JSON.parse(runsJson.stdout) as { pipeline: string; runs: (RunDocument["run"] & { trigger: string })[] };
    expect(listed.pipeline).toBe("etl_daily");
    expect(listed.runs.map((r) => [r.id, r.state, r.trigger])).toEqual([
      [newer, "success", "manual"],
      [older, "success", "manual"],
    ]);
    for (const run of listed.runs) expect(Object.keys(run).sort()).toEqual([...RUN_KEYS, "trigger"].sort());

    const tasksText = await h.weir(["tasks", newer]);
    expect(tasksText.code).toBe(0);
    const lines = tasksText.stdout.trim().split("\n");
    expect(lines[0]).toBe(`run ${newer} of etl_daily: success (logical date 2025-09-03T00:00:00.000Z)`);
    expect(lines[1]).toMatch(/^TASK\s+STATE\s+TRIES\s+DURATION$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ["extract", "success", "1"],
      ["transform", "success", "1"],
      ["load", "success", "1"],
    ]);

    const doc = await runDocument(h, newer);
    expect(Object.keys(doc.run).sort()).toEqual(RUN_KEYS);
    for (const task of doc.tasks) expect(Object.keys(task).sort()).toEqual(TASK_KEYS);

    // ctx.log lines and console output, each timestamped, with their stream.
    const extract = await logs(h, newer, "extract");
    expect(extract.code).toBe(0);
    expect(extract.stdout).toMatch(new RegExp(`^${STAMP} info extracted orders \\{"count":250,"day":"2025-09-03"\\}$`, "m"));
    const load = await logs(h, newer, "load");
    expect(load.stdout).toMatch(new RegExp(`^${STAMP} out wrote \\d+ rows to .*2025-09-03\\.json$`, "m"));
    const olderLog = await logs(h, older, "extract", 1);
    expect(olderLog.stdout).toContain('"day":"2025-09-02"');
  });

  it("records a task that exits its worker process as failed, and the run goes on with a new worker", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("crash.ts"), "--concurrency", "1"]);
    expect(result.code, result.stderr).toBe(1);
    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(doc.run.state).toBe("failed");
    expect(statesOf(doc)).toEqual({ crash: "failed", cleanup: "success", independent: "success" });
    expect(byTask(doc).get("crash")?.tries).toBe(1);
    expect(doc.run.endedAt).not.toBeNull();

    const crash = await logs(h, runId, "crash");
    expect(crash.stdout).toMatch(new RegExp(`^${STAMP} warn about to exit the process \\{"code":3\\}$`, "m"));
    expect(crash.stderr).toMatch(/^try 1 failed: WorkerCrashedError: worker process exited with code 3 while running task crash$/m);
    const cleanup = await logs(h, runId, "cleanup");
    expect(cleanup.stdout).toMatch(new RegExp(`^${STAMP} info cleaning up \\{"pid":\\d+\\}$`, "m"));
    await waitFor(() => processesOf(h.dir).length === 0, 10_000, "the run's workers to be gone");
  });

  it("runs a pipeline by id after it ran once by file", async () => {
    h = makeHome();
    const byFile = await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03"]);
    expect(byFile.code, byFile.stderr).toBe(0);
    const byId = await h.weir(["run", "etl_daily", "--logical-date", "2025-09-04"]);
    expect(byId.code, byId.stderr).toBe(0);
    const doc = await runDocument(h, runIdOf(byId));
    expect(doc.run).toMatchObject({ pipeline: "etl_daily", state: "success", logicalDate: "2025-09-04T00:00:00.000Z" });
    expect(doc.tasks.every((t) => t.state === "success")).toBe(true);
    const runs = JSON.parse((await h.weir(["runs", "etl_daily", "--json"])).stdout) as { runs: unknown[] };
    expect(runs.runs).toHaveLength(2);
  });
});
