// examples/daily_training.ts: its `features` task is cached by input hash, so a rerun of the same date skips
// it (a cached success that no worker ran) while everything after it runs again; another date builds them.
import { afterAll, describe, expect, it } from "vitest";
import { byTask, logs, makeHome, type RunDocument } from "../cli/helpers.js";

const home = makeHome();
afterAll(() => home.remove());

async function run(date: string): Promise<RunDocument> {
  const result = await home.weir(["run", "examples/daily_training.ts", "--logical-date", date, "--json"]);
  if (result.stdout === "") throw new Error(`no run document: ${result.stderr}`);
  const doc = JSON.parse(result.stdout) as RunDocument;
  expect(doc.run.state).toBe("success");
  return doc;
}

describe("examples/daily_training.ts caching", () => {
  it("a rerun of the same date skips features; another date builds them", async () => {
    const first = await run("2025-09-03");
    expect(byTask(first).get("features")?.cached).toBe(false);
    const rerun = await run("2025-09-03");
    expect(byTask(rerun).get("features")).toMatchObject({ state: "success", cached: true, tries: 1 });
    expect(byTask(rerun).get("validate")?.cached).toBe(false);
    const log = (await logs(home, rerun.run.id, "features")).stdout;
    expect(log).toContain(`cache hit: reused the result of run ${first.run.id}, task features, try 1`);
    expect(log).not.toContain("building features");
    expect(byTask(await run("2025-09-04")).get("features")?.cached).toBe(false);
  });
});
