// A sub-pipeline's child run in flight when its parent's driver stops: kill -9 of `weir run`, then
// `weir run --resume` of the parent waits for the same child run again (resumed too) instead of starting a
// second one; Ctrl-C (a cancel of the parent run) cancels the child run too.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { byTask, makeHome, ROOT, waitFor, type RunDocument } from "../cli/helpers.js";
import { withHomeStore } from "../mapping/helpers.js";

const fixture = relative(ROOT, join(import.meta.dirname, "fixtures", "slow.ts"));
const home = makeHome();
const release = mkdtempSync(join(tmpdir(), "weir-release-"));
const cancelHome = makeHome();
const cancelRelease = mkdtempSync(join(tmpdir(), "weir-release-"));
afterAll(() => {
  home.remove();
  cancelHome.remove();
  rmSync(release, { recursive: true, force: true });
  rmSync(cancelRelease, { recursive: true, force: true });
});

describe("a sub-pipeline across a crash of its driver", () => {
  it("--resume of the parent waits for the same child run, which finishes", async () => {
    const env = { ...process.env, WEIR_HOME: home.dir, NO_COLOR: "1", WEIR_TEST_RELEASE_DIR: release };
    const driver = spawn(process.execPath, [join(ROOT, "bin/weir.js"), "run", fixture, "--pipeline", "sp_slow", "-d", "2025-09-03"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => driver.on("exit", (_code, signal) => resolve(signal)));
    await waitFor(() => existsSync(join(release, "started-1")), 30_000, "the child's task to start");
    driver.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    writeFileSync(join(release, "release"), "");

    const parentId = await withHomeStore(home.dir, async (store) => (await store.listRuns({ pipelineId: "sp_slow" }))[0]!.id);
    const resumed = await home.weir(["run", "--resume", parentId, "--json"], { WEIR_TEST_RELEASE_DIR: release });
    const doc = JSON.parse(resumed.stdout) as RunDocument;
    expect(doc.run.state).toBe("success");
    expect(byTask(doc).get("child_run")).toMatchObject({ state: "success", tries: 1 });
    await withHomeStore(home.dir, async (store) => {
      const links = await store.listSubRuns(parentId);
      expect(links).toHaveLength(1);
      expect(await store.listRuns({ pipelineId: "sp_slow_child" })).toHaveLength(1);
      const child = await store.getRun(links[0]!.childRunId);
      expect(child?.state).toBe("success");
      // The child's try in flight at the crash was recorded lost and ran again.
      const tries = await store.listTries(child!.id, "work");
      expect(tries.map((t) => [t.state, t.error?.kind ?? null])).toEqual([["failed", "lost"], ["success", null]]);
    });
  });

  it("canceling the parent run (Ctrl-C) cancels the child run", async () => {
    const env = { ...process.env, WEIR_HOME: cancelHome.dir, NO_COLOR: "1", WEIR_TEST_RELEASE_DIR: cancelRelease };
    const driver = spawn(process.execPath, [join(ROOT, "bin/weir.js"), "run", fixture, "--pipeline", "sp_slow", "-d", "2025-09-03"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => driver.on("exit", (code) => resolve(code)));
    await waitFor(() => existsSync(join(cancelRelease, "started-1")), 30_000, "the child's task to start");
    driver.kill("SIGINT");
    expect(await exited).toBe(1);
    await withHomeStore(cancelHome.dir, async (store) => {
      const parent = (await store.listRuns({ pipelineId: "sp_slow" }))[0]!;
      expect(parent.state).toBe("canceled");
      const [link] = await store.listSubRuns(parent.id);
      expect((await store.getRun(link!.childRunId))?.state).toBe("canceled");
    });
  });
});
