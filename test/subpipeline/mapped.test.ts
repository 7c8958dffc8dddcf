// Mapped sub-pipelines (`p.pipeline(id, { pipeline, map })`): one child run per element, with that element's
// params over the task's constant params; downstream receives the results in map-index order. An element
// that is not an object of params fails its instance clearly, starting no run.
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeHome, ROOT, type Home, type RunDocument } from "../cli/helpers.js";
import { outputOf, withHomeStore } from "../mapping/helpers.js";

const fixture = relative(ROOT, join(import.meta.dirname, "fixtures", "mapped.ts"));
const homes: Home[] = [];
afterAll(() => {
  for (const home of homes) home.remove();
});

async function run(pipelineId: string): Promise<{ home: Home; doc: RunDocument; code: number | null; stderr: string }> {
  const home = makeHome();
  homes.push(home);
  const result = await home.weir(["run", fixture, "--pipeline", pipelineId, "-d", "2025-09-03", "--json"]);
  if (result.stdout === "") throw new Error(`no run document: ${result.stderr}`);
  return { home, doc: JSON.parse(result.stdout) as RunDocument, code: result.code, stderr: result.stderr };
}

describe("mapped p.pipeline", () => {
  it("starts one child run per element with its params, and downstream receives every result", async () => {
    const { home, doc, code } = await run("sp_mapped_parent");
    expect(code).toBe(0);
    const instances = (taskId: string) => doc.tasks.filter((t) => t.id === taskId).map((t) => [t.mapIndex, t.state]);
    expect(instances("by_region")).toEqual([[0, "success"], [1, "success"], [2, "success"]]);
    expect(instances("by_config")).toEqual([[0, "success"], [1, "success"]]);
    const links = await withHomeStore(home.dir, (store) => store.listSubRuns(doc.run.id));
    expect(links).toHaveLength(5);
    const childOutput = async (taskId: string, mapIndex: number): Promise<unknown> => {
      const link = links.find((l) => l.parentTaskId === taskId && l.parentMapIndex === mapIndex);
      return outputOf(home.dir, link!.childRunId, "work");
    };
    expect([await childOutput("by_region", 0), await childOutput("by_region", 1), await childOutput("by_region", 2)]).toEqual(["eu:2", "us:2", "apac:2"]);
    expect([await childOutput("by_config", 0), await childOutput("by_config", 1)]).toEqual(["eu:7", "us:30"]);
    expect(await outputOf(home.dir, doc.run.id, "summary")).toEqual({ byRegion: ["sp_mapped_child", "sp_mapped_child", "sp_mapped_child"], byConfig: 2 });
  });

  it("an element that is not an object of params fails its instance, starting no run", async () => {
    const { home, doc, code } = await run("sp_mapped_bad");
    expect(code).toBe(1);
    expect(doc.tasks.filter((t) => t.id === "by_number").map((t) => t.state)).toEqual(["failed", "failed"]);
    expect(await withHomeStore(home.dir, (store) => store.listSubRuns(doc.run.id))).toEqual([]);
    const log = await home.weir(["logs", doc.run.id, "by_number", "--map-index", "1"]);
    expect(log.stdout + log.stderr).toContain("element 1 of numbers is not an object of params for pipeline sp_mapped_child");
  });
});
