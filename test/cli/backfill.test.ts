// `weir backfill` as a user runs it: a dry run writes nothing, a backfill is run by the scheduler at most N
// at a time, bad input exits 2 and changes nothing, and an ended backfill can't be canceled.
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, ROOT, type Home } from "./helpers.js";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.splice(0).reverse()) undo();
});

interface RunsDoc {
  runs: { id: string; state: string; trigger: string; logicalDate: string }[];
}

async function waitFor(what: string, check: () => Promise<boolean>, capMs = 30_000): Promise<void> {
  const until = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("weir backfill", () => {
  it("plans with --dry-run, creates runs grouped under a backfill, and the scheduler runs them", async () => {
    const h: Home = makeHome();
    cleanup.push(() => h.remove());
    const runs = async (): Promise<RunsDoc["runs"]> => (JSON.parse((await h.weir(["runs", "etl_daily", "--json", "--limit", "100"])).stdout) as RunsDoc).runs;

    expect((await h.weir(["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03"])).code).toBe(0);

    const dry = await h.weir(["backfill", "etl_daily", "--from", "2025-09-01", "--to", "2025-09-05", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/2025-09-03.*skip_success/);
    expect(dry.stdout.match(/ {2}create$/gm)?.length).toBe(4);
    expect(await runs()).toHaveLength(1); // a dry run writes nothing

    for (const bad of [
      ["backfill", "etl_daily", "--from", "2025-09-05", "--to", "2025-09-01"],
      ["backfill", "etl_daily", "--from", "2025-09-01", "--to", "2025-09-05", "--reprocess", "some"],
      ["backfill", "no_such_pipeline", "--from", "2025-09-01", "--to", "2025-09-05"],
      ["backfill", "etl_daily", "--from", "yesterday-ish", "--to", "2025-09-05"],
    ]) {
      const result = await h.weir(bad);
      expect(result.code, `${bad.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(await runs()).toHaveLength(1);

    const created = await h.weir(["backfill", "etl_daily", "--from", "2025-09-01", "--to", "2025-09-05", "--concurrency", "2", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const backfillId = (JSON.parse(created.stdout) as { backfill: { id: string; runs: number } }).backfill.id;
    expect(JSON.parse(created.stdout).backfill.runs).toBe(4);

    const scheduler = spawn(process.execPath, ["bin/weir.js", "scheduler", "examples/etl_daily.ts"], { cwd: ROOT, env: { ...process.env, WEIR_HOME: h.dir }, stdio: "ignore" });
    cleanup.push(() => scheduler.kill("SIGKILL"));
    await waitFor("the backfill's runs", async () => {
      const backfilled = (await runs()).filter((r) => r.trigger === "backfill");
      return backfilled.length === 4 && backfilled.every((r) => r.state === "success");
    });
    const dates = (await runs()).filter((r) => r.trigger === "backfill").map((r) => r.logicalDate.slice(0, 10)).sort();
    expect(dates).toEqual(["2025-09-01", "2025-09-02", "2025-09-04", "2025-09-05"]);

    await waitFor("the backfill to end", async () => {
      const list = JSON.parse((await h.weir(["backfill", "list", "--json"])).stdout) as { backfills: { id: string; state: string }[] };
      return list.backfills.some((b) => b.id === backfillId && b.state === "success");
    });
    const cancel = await h.weir(["backfill", "cancel", backfillId]);
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toMatch(/already ended: success/);
    scheduler.kill("SIGINT");
  }, 90_000);
});
