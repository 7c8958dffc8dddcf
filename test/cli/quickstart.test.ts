// The README's quick start and examples, run as a user runs them: `weir run examples/… ` in a fresh WEIR_HOME.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { byTask, logs, makeHome, progressLines, runDocument, runIdOf, statesOf, type Home } from "./helpers.js";

describe("weir run on the examples", () => {
  const homes: Home[] = [];
  const home = (): Home => {
    const h = makeHome();
    homes.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of homes.splice(0)) h.remove();
  });

  it("runs the quick start (etl_daily) to success, leaving the store in WEIR_HOME and one progress line per state change", async () => {
    const h = home();
    const result = await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03"]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(h.dir, "weir.db"))).toBe(true);
    expect(result.stdout).toBe("");

    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(doc.run).toMatchObject({ id: runId, pipeline: "etl_daily", state: "success", logicalDate: "2025-09-03T00:00:00.000Z" });
    expect(doc.tasks.map((t) => t.id)).toEqual(["extract", "transform", "load"]);
    expect(doc.tasks.every((t) => t.state === "success" && t.tries === 1)).toBe(true);

    // Piped: plain lines, no terminal control codes, one per state change (running and success of each task).
    expect(result.stderr).not.toContain("\x1b[");
    const lines = progressLines(result.stderr);
    expect(lines).toHaveLength(6);
    for (const task of ["extract", "transform", "load"]) {
      expect(lines.filter((l) => l.split(" ")[1] === task).map((l) => l.split(" ").slice(2).join(" "))).toEqual(["running · try 1", "success"]);
    }
    expect(result.stderr).toMatch(new RegExp(`^weir: run ${runId} success`, "m"));

    // The load task really wrote the lake file for the data interval.
    const lake = join(h.dir, "lake", "revenue_by_country", "2025-09-03.json");
    expect((JSON.parse(readFileSync(lake, "utf8")) as unknown[]).length).toBeGreaterThan(0);
  });

  it("runs shop_daily: parallel extracts, the shell transform and everything after it succeed", async () => {
    const h = home();
    const result = await h.weir(["run", "examples/shop_daily.ts", "--logical-date", "2025-09-03"]);
    expect(result.code, result.stderr).toBe(0);
    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(doc.run.state).toBe("success");
    expect(statesOf(doc)).toEqual({
      extract_crm: "success",
      extract_orders: "success",
      transform: "success",
      load_lake: "success",
      update_features: "success",
      train: "success",
    });
    const transformLog = await logs(h, runId, "transform");
    expect(transformLog.code).toBe(0);
    expect(transformLog.stdout).toMatch(/ out spark-style job: joining +400 orders with +50 customers/);
    // The shell's last stdout line (the CSV path) was the output load_lake read.
    const rows = JSON.parse(readFileSync(join(h.dir, "lake", "spend_by_tier", "2025-09-03.json"), "utf8")) as { tier: string; spend: number }[];
    expect(rows.map((r) => r.tier).sort()).toEqual(["bronze", "gold", "silver"]);
    expect(rows.every((r) => r.spend > 0)).toBe(true);
  });

  it("runs ml_training: success with the default threshold, exit 1 with evaluate failed at threshold=0.99", async () => {
    const h = home();
    const ok = await h.weir(["run", "examples/ml_training.ts"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(statesOf(await runDocument(h, runIdOf(ok)))).toEqual({ train: "success", evaluate: "success" });

    const failed = await h.weir(["run", "examples/ml_training.ts", "--param", "threshold=0.99"]);
    expect(failed.code, failed.stderr).toBe(1);
    const runId = runIdOf(failed);
    const doc = await runDocument(h, runId);
    expect(doc.run.state).toBe("failed");
    const tasks = byTask(doc);
    expect(tasks.get("train")?.state).toBe("success");
    expect(tasks.get("evaluate")).toMatchObject({ state: "failed", tries: 2 }); // retries: 1
    expect(failed.stderr).toMatch(/failed: evaluate/);
    const log = await logs(h, runId, "evaluate");
    expect(log.stderr).toMatch(/try 2 failed: Error: accuracy [\d.]+ is below the threshold 0\.99/);
  });
});
