// `maxParallel` on a mapped p.pipeline bounds how many of its child runs go at once (docs/caching.md
// § sub-pipelines): with 1, each child run ends before the next starts, whatever the number of workers.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, ROOT, type Home, type RunDocument } from "../cli/helpers.js";

const fixture = relative(ROOT, join(import.meta.dirname, "fixtures", "parallel.ts"));

describe("maxParallel on a mapped p.pipeline", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("runs its child runs one at a time with maxParallel 1", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture, "--pipeline", "sp_parallel_parent", "--concurrency", "8", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(doc.tasks.filter((t) => t.id === "by_region").map((t) => t.state)).toEqual(["success", "success", "success", "success"]);
    const lines = readFileSync(join(h.dir, "ledger.txt"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(8);
    // Every start is followed by the end of the same child run: no two overlapped.
    for (let i = 0; i < lines.length; i += 2) expect([lines[i], lines[i + 1]?.replace(/^end /, "start ")]).toEqual([lines[i], lines[i]]);
    expect(new Set(lines.filter((l) => l.startsWith("start ")))).toEqual(new Set(["start eu", "start us", "start apac", "start latam"]));
  });
});
