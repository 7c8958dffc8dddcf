// Caching (docs/caching.md) with the real CLI, real workers and a real SQLite store: a rerun of the same date
// reuses results without running them, changed code or params or another date miss, `--no-cache` and
// `weir clear` bypass the cache, a TTL is respected, and a custom key is computed by the task's own function.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { byTask, logs, makeHome, makeTempDir, type Home, type RunDocument } from "../cli/helpers.js";
import { outputOf } from "../mapping/helpers.js";
import { cachingFixture } from "./helpers.js";

const homes: Home[] = [];
afterAll(() => {
  for (const home of homes) home.remove();
});

function newHome(): Home {
  const home = makeHome();
  homes.push(home);
  return home;
}

async function run(home: Home, args: string[]): Promise<RunDocument> {
  const result = await home.weir(["run", ...args, "--json"]);
  if (result.stdout === "") throw new Error(`no run document: ${result.stderr}`);
  const doc = JSON.parse(result.stdout) as RunDocument;
  expect(doc.run.state).toBe("success");
  return doc;
}

const cached = (doc: RunDocument, task: string): boolean | undefined => byTask(doc).get(task)?.cached;

describe("cache: true", () => {
  it("a rerun of the same date reuses the result (no worker runs it) and its log names the try it reused", async () => {
    const home = newHome();
    const first = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    expect(cached(first, "compute")).toBe(false);
    const second = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    expect(cached(second, "compute")).toBe(true);
    expect(byTask(second).get("compute")).toMatchObject({ state: "success", tries: 1 });
    // The same value, token included: it was not computed again, and downstream received it.
    const reused = await outputOf(home.dir, second.run.id, "compute");
    expect(reused).toEqual(await outputOf(home.dir, first.run.id, "compute"));
    expect(await outputOf(home.dir, second.run.id, "use")).toBe((reused as { token: number }).token);
    const log = await logs(home, second.run.id, "compute");
    expect(log.stdout).toContain(`cache hit: reused the result of run ${first.run.id}, task compute, try 1`);
    // A task that is not cacheable runs every time.
    expect(cached(second, "use")).toBe(false);
    // Each instance of a mapped task is cached on its own (its element is in its key).
    expect(second.tasks.filter((t) => t.id === "square").map((t) => [t.mapIndex, t.cached])).toEqual([[0, true], [1, true], [2, true]]);
    expect(first.tasks.filter((t) => t.id === "square").map((t) => t.cached)).toEqual([false, false, false]);
  });

  it("another date or other params miss", async () => {
    const home = newHome();
    await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    expect(cached(await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-04"]), "compute")).toBe(false);
    expect(cached(await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03", "--param", "n=2"]), "compute")).toBe(false);
  });

  it("changed task code is a cache miss", async () => {
    const home = newHome();
    const temp = makeTempDir();
    try {
      const file = temp.write("cached.ts", readFileSync(join(import.meta.dirname, "fixtures", "cached.ts"), "utf8"));
      await run(home, [file, "-d", "2025-09-03"]);
      expect(cached(await run(home, [file, "-d", "2025-09-03"]), "compute")).toBe(true);
      writeFileSync(file, readFileSync(file, "utf8").replace("({ n: ctx.params.n, token: Math.random() })", "({ n: ctx.params.n * 1, token: Math.random() })"));
      const changed = await run(home, [file, "-d", "2025-09-03"]);
      expect(cached(changed, "compute")).toBe(false);
      // The other tasks' code did not change: still cached.
      expect(cached(changed, "long")).toBe(true);
    } finally {
      temp.remove();
    }
  });

  it("weir run --no-cache runs every task (and still stores results for later runs)", async () => {
    const home = newHome();
    await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    const fresh = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03", "--no-cache"]);
    expect([cached(fresh, "compute"), cached(fresh, "keyed"), cached(fresh, "long")]).toEqual([false, false, false]);
    const after = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    expect(await outputOf(home.dir, after.run.id, "compute")).toEqual(await outputOf(home.dir, fresh.run.id, "compute"));
  });

  it("weir clear bypasses the cache for the cleared instances", async () => {
    const home = newHome();
    await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    const second = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    expect(cached(second, "compute")).toBe(true);
    const before = await outputOf(home.dir, second.run.id, "compute");
    const clear = await home.weir(["clear", second.run.id, "--task", "compute"]);
    expect(clear.code).toBe(0);
    const resumed = await run(home, ["--resume", second.run.id]);
    expect(byTask(resumed).get("compute")).toMatchObject({ state: "success", tries: 2, cached: false });
    expect(await outputOf(home.dir, second.run.id, "compute")).not.toEqual(before);
  });

  it("a TTL is respected: a result older than it is computed again, a younger one reused", async () => {
    const home = newHome();
    await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    const second = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03"]);
    expect(cached(second, "short")).toBe(false);
    expect(cached(second, "long")).toBe(true);
  });

  it("a custom key is computed by the task's key function: same key, reused across other params", async () => {
    const home = newHome();
    const first = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-03", "--param", "n=5"]);
    expect(cached(first, "keyed")).toBe(false);
    // Other params, other date, same group: the key function says it is the same result.
    const second = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-05", "--param", "n=6"]);
    expect(cached(second, "keyed")).toBe(true);
    expect(await outputOf(home.dir, second.run.id, "keyed")).toEqual(await outputOf(home.dir, first.run.id, "keyed"));
    const other = await run(home, [cachingFixture("cached.ts"), "-d", "2025-09-05", "--param", "group=b"]);
    expect(cached(other, "keyed")).toBe(false);
  });
});
