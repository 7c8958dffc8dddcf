// A sub-pipeline's child runs count against the child pipeline's maxActiveRuns (docs/caching.md
// § sub-pipelines): with maxActiveRuns 1, two p.pipeline tasks of one run start their child runs one after the
// other; the second waits (its log says so) while the first is held, and runs once it has ended.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, ROOT, waitFor, type Home, type RunDocument } from "../cli/helpers.js";
import { withHomeStore } from "../mapping/helpers.js";

const fixture = relative(ROOT, join(import.meta.dirname, "fixtures", "limited.ts"));

/** Polls an async check until it gives a value (the CLI is a separate process: nothing to await on). */
async function eventually<T>(check: () => Promise<T | null>, what: string): Promise<T> {
  for (let i = 0; i < 3_000; i++) {
    const value = await check();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("p.pipeline and the child pipeline's maxActiveRuns", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("a child run beyond the limit waits for a slot while the other runs, then runs", async () => {
    h = makeHome();
    const ledger = join(h.dir, "ledger.txt");
    writeFileSync(join(h.dir, "hold"), "");
    const running = h.weir(["run", fixture, "--pipeline", "sp_limited_parent", "--concurrency", "4", "--json"]);

    const first = await waitFor(() => existsSync(ledger) && /^start (\w+)$/m.exec(readFileSync(ledger, "utf8"))?.[1], 60_000, "a child run to start");
    const second = first === "eu" ? "us" : "eu";
    const runId = await eventually(async () => {
      const runs = await h.weir(["runs", "sp_limited_parent", "--json"]);
      return runs.code === 0 ? ((JSON.parse(runs.stdout) as { runs: { id: string }[] }).runs[0]?.id ?? null) : null;
    }, "the parent run");
    await eventually(async () => ((await h.weir(["logs", runId, second])).stdout.includes("waiting for a slot: pipeline sp_limited_child has 1 run(s) running, its maxActiveRuns is 1") ? true : null), "the second task to wait");
    // While the first child run holds its slot, the second has not started.
    expect(readFileSync(ledger, "utf8").trim().split("\n")).toEqual([`start ${first}`]);

    rmSync(join(h.dir, "hold"));
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(doc.tasks.map((t) => [t.id, t.state])).toEqual(expect.arrayContaining([["eu", "success"], ["us", "success"], ["after", "success"]]));
    expect(readFileSync(ledger, "utf8").trim().split("\n")).toEqual([`start ${first}`, `end ${first}`, `start ${second}`, `end ${second}`]);
    expect(await withHomeStore(h.dir, (store) => store.listSubRuns(doc.run.id))).toHaveLength(2);
  });
});
