// `weir clear` gives a cleared instance its whole retry budget again (Airflow resets max_tries on clear):
// tries keep their numbers and history, and the budget counts from the clear — also in a run resumed by
// another process, which finds it again from the stored tries.
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, ROOT, runDocument, runIdOf, type Home } from "../cli/helpers.js";
import { mappingFixture, withHomeStore } from "./helpers.js";

const FIXTURE = mappingFixture("retry_clear.ts");

const workOf = async (h: Home, runId: string) => (await runDocument(h, runId)).tasks.filter((t) => t.id === "work").map((t) => [t.mapIndex, t.state, t.tries]);

describe("weir clear resets retries", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("a cleared instance that used its retries gets all of them again; try numbers go on", async () => {
    h = makeHome();
    writeFileSync(join(h.dir, "fail"), "");
    const first = await h.weir(["run", FIXTURE]);
    expect(first.code, first.stderr).toBe(1);
    const runId = runIdOf(first);
    expect(await workOf(h, runId)).toEqual([[0, "success", 1], [1, "failed", 2]]);

    // Still failing: tries 3 and 4 (one retry again), not just 3.
    expect((await h.weir(["clear", runId, "--failed-only"])).code).toBe(0);
    expect((await h.weir(["run", "--resume", runId])).code).toBe(1);
    expect(await workOf(h, runId)).toEqual([[0, "success", 1], [1, "failed", 4]]);
    const fourth = await h.weir(["logs", runId, "work", "--map-index", "1", "--try", "4"]);
    expect(fourth.stdout.replace(/\n$/, "")).toMatch(/work\[1\] try 4 of at most 4$/m);

    // Fixed: the next clear's first try succeeds; the earlier tries stay as history.
    rmSync(join(h.dir, "fail"));
    expect((await h.weir(["clear", runId, "--failed-only"])).code).toBe(0);
    expect((await h.weir(["run", "--resume", runId])).code).toBe(0);
    expect(await workOf(h, runId)).toEqual([[0, "success", 1], [1, "success", 5]]);
    const second = await h.weir(["logs", runId, "work", "--map-index", "1", "--try", "2"]);
    expect(second.stderr).toMatch(/try 2 failed: Error: fails on try 2/);
  });

  it("an instance canceled while waiting for its retry, then cleared, has its whole budget in a resumed run", async () => {
    h = makeHome();
    writeFileSync(join(h.dir, "fail"), "");
    const child = spawn(process.execPath, ["bin/weir.js", "run", mappingFixture("retry_cancel.ts")], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", WEIR_HOME: h.dir }, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let runId: string | null = null;
    // Its first try failed and it waits an hour for the retry: Ctrl-C cancels the run there.
    while (runId === null) {
      runId = await withHomeStore(h.dir, async (store) => {
        const [run] = await store.listRuns({ pipelineId: "mapping_retry_cancel" });
        const instances = run ? await store.listTaskInstances(run.id) : [];
        return run && instances.some((i) => i.state === "up_for_retry") ? run.id : null;
      });
      if (runId === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGINT");
    await exited;
    expect((await runDocument(h, runId)).tasks.map((t) => [t.id, t.state, t.tries])).toEqual([["flaky", "canceled", 1]]);

    // Nothing in the stored tries says where the clear was (try 1 failed with a retry left): the store keeps it.
    rmSync(join(h.dir, "fail"));
    expect((await h.weir(["clear", runId, "--task", "flaky"])).code).toBe(0);
    expect((await h.weir(["run", "--resume", runId])).code).toBe(0);
    const second = await h.weir(["logs", runId, "flaky", "--try", "2"]);
    expect(second.stdout).toMatch(/flaky try 2 of at most 3$/m);
  });
});
