// Sub-pipelines (`p.pipeline`) with the real CLI, real workers and a real SQLite store: the child run is
// created for the same logical date, linked to the parent's try, and its outcome is the task's; a pipeline the
// scheduler can't find fails the task with a clear message.
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { byTask, logs, makeHome, ROOT, type Home, type RunDocument } from "../cli/helpers.js";
import { outputOf, withHomeStore } from "../mapping/helpers.js";

const fixture = relative(ROOT, join(import.meta.dirname, "fixtures", "parent.ts"));
const homes: Home[] = [];
afterAll(() => {
  for (const home of homes) home.remove();
});

async function run(pipelineId: string): Promise<{ home: Home; doc: RunDocument; code: number | null }> {
  const home = makeHome();
  homes.push(home);
  const result = await home.weir(["run", fixture, "--pipeline", pipelineId, "-d", "2025-09-03", "--json"]);
  if (result.stdout === "") throw new Error(`no run document: ${result.stderr}`);
  return { home, doc: JSON.parse(result.stdout) as RunDocument, code: result.code };
}

describe("p.pipeline", () => {
  it("runs the other pipeline for the same logical date, waits for it, and links the child run", async () => {
    const { home, doc, code } = await run("sp_parent");
    expect(code).toBe(0);
    expect(byTask(doc).get("child_run")).toMatchObject({ state: "success", tries: 1 });
    const links = await withHomeStore(home.dir, (store) => store.listSubRuns(doc.run.id));
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ parentRunId: doc.run.id, parentTaskId: "child_run", parentMapIndex: -1, parentTryNumber: 1 });
    const childId = links[0]!.childRunId;
    const child = await withHomeStore(home.dir, (store) => store.getRun(childId));
    expect(child).toMatchObject({ pipelineId: "sp_child", state: "success", logicalDateMs: Date.parse("2025-09-03T00:00:00Z"), params: { region: "eu" } });
    expect(await withHomeStore(home.dir, (store) => store.getParentRun(childId))).toMatchObject({ parentRunId: doc.run.id });
    expect(await outputOf(home.dir, childId, "work")).toBe("eu@2025-09-03T00:00:00.000Z");
    expect(await outputOf(home.dir, doc.run.id, "child_run")).toEqual({ runId: childId, pipelineId: "sp_child", state: "success" });
    expect(await outputOf(home.dir, doc.run.id, "after")).toBe(`sp_child:success:${childId}`);
    expect((await logs(home, doc.run.id, "child_run")).stdout).toContain(`started run ${childId} of pipeline sp_child`);
  });

  it("a child run that fails fails the task, and the parent run", async () => {
    const { home, doc, code } = await run("sp_failing");
    expect(code).toBe(1);
    expect(doc.run.state).toBe("failed");
    expect(byTask(doc).get("child_run")?.state).toBe("failed");
    expect(byTask(doc).get("after")?.state).toBe("upstream_failed");
    const [link] = await withHomeStore(home.dir, (store) => store.listSubRuns(doc.run.id));
    const child = await withHomeStore(home.dir, (store) => store.getRun(link!.childRunId));
    expect(child?.state).toBe("failed");
    const tries = await withHomeStore(home.dir, (store) => store.listTries(doc.run.id, "child_run"));
    expect(tries[0]?.error).toMatchObject({ name: "SubPipelineFailedError", message: `run ${link!.childRunId} of pipeline sp_child ended failed` });
  });

  it("a pipeline the scheduler can't find fails the task clearly, creating no run", async () => {
    const { home, doc, code } = await run("sp_missing");
    expect(code).toBe(1);
    expect(byTask(doc).get("child_run")?.state).toBe("failed");
    const tries = await withHomeStore(home.dir, (store) => store.listTries(doc.run.id, "child_run"));
    expect(tries[0]?.error?.name).toBe("SubPipelineNotFoundError");
    expect(tries[0]?.error?.message).toContain("pipeline sp_ghost was not found");
    expect(await withHomeStore(home.dir, (store) => store.listSubRuns(doc.run.id))).toEqual([]);
  });
});
