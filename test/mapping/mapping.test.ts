// Mapping, branching and `weir graph` end to end: the real CLI, real worker processes, a real SQLite store.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { badInputLine, makeHome, type Home, type RunDocument } from "../cli/helpers.js";
import { mappingFixture, outputOf, withHomeStore } from "./helpers.js";

const homes: Home[] = [];
afterAll(() => {
  for (const home of homes) home.remove();
});
function home(): Home {
  const h = makeHome();
  homes.push(h);
  return h;
}

const statesOf = (doc: RunDocument): Record<string, string> =>
  Object.fromEntries(doc.tasks.map((t) => [t.mapIndex >= 0 ? `${t.id}[${t.mapIndex}]` : t.id, t.state]));

describe("mapped tasks", () => {
  it("fan out at run time over one array, a zip, a product and a mapped task; downstream gets the results in order", async () => {
    const h = home();
    const result = await h.weir(["run", mappingFixture("fanout.ts"), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as RunDocument;
    const states = statesOf(doc);
    for (let i = 0; i < 3; i++) {
      expect(states[`train[${i}]`]).toBe("success");
      expect(states[`evaluate[${i}]`]).toBe("success");
      expect(states[`zipped[${i}]`]).toBe("success");
    }
    for (let i = 0; i < 9; i++) expect(states[`product[${i}]`]).toBe("success");
    // The placeholder of an expanded task is gone; an empty array leaves it skipped, and none_failed still runs.
    expect(states.train).toBeUndefined();
    expect(states.empty).toBe("skipped");
    expect(states.after_empty).toBe("success");
    expect(doc.run.state).toBe("success");

    expect(await outputOf(h.dir, doc.run.id, "summary")).toEqual({
      evaluate: ["eu:20:0", "us:20:1", "apac:40:2"],
      zipped: ["eu*1", "us*2", "apac*3"],
      product: ["eux1", "eux2", "eux3", "usx1", "usx2", "usx3", "apacx1", "apacx2", "apacx3"],
    });
    expect(await outputOf(h.dir, doc.run.id, "after_empty")).toEqual([]);
    // Each instance has its own try and log.
    const logs = await h.weir(["logs", doc.run.id, "train", "--map-index", "2"]);
    expect(logs.code, logs.stderr).toBe(0);
  });

  it("read elements and results too big to keep in memory from the store", async () => {
    const h = home();
    const result = await h.weir(["run", mappingFixture("big.ts"), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(await outputOf(h.dir, doc.run.id, "collect")).toEqual({ upper: ["A", "B", "C"], sizes: ["A70002", "B70002", "C70002"] });
  });

  it("limit running instances with maxParallel, and retry a failed instance alone", async () => {
    const h = home();
    const result = await h.weir(["run", mappingFixture("limits.ts"), "--json", "--concurrency", "4"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as RunDocument;
    const tries = Object.fromEntries(doc.tasks.filter((t) => t.id === "work").map((t) => [t.mapIndex, t.tries]));
    expect(tries).toEqual({ 0: 1, 1: 1, 2: 1, 3: 2, 4: 1, 5: 1, 6: 1, 7: 1 });
    // Replaying the ledger: never more than 2 tries of the mapped task between their start and end.
    let running = 0;
    let most = 0;
    for (const line of readFileSync(join(h.dir, "ledger.txt"), "utf8").trim().split("\n")) {
      running += line.startsWith("start ") ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThanOrEqual(1);
    await withHomeStore(h.dir, async (store) => {
      const failed = await store.listTries(doc.run.id, "work", 3);
      expect(failed.map((t) => t.state)).toEqual(["failed", "success"]);
    });
  });
});

describe("mapping bad data", () => {
  it("a zip of unequal lengths, or an output that is not an array, fails the mapped task without running it", async () => {
    const h = home();
    const result = await h.weir(["run", mappingFixture("bad_map.ts"), "--json"]);
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(statesOf(doc)).toMatchObject({ uneven: "failed", mapped: "failed", after: "upstream_failed" });
    expect(doc.tasks.find((t) => t.id === "uneven")?.tries).toBe(0);
    const plain = await h.weir(["run", mappingFixture("bad_map.ts")]);
    expect(plain.stderr).toContain("task uneven zips arrays of different lengths (two has 2, three has 3)");
    expect(plain.stderr).toContain("task mapped maps over not_array, whose output is not an array");
  });
});

describe("branching", () => {
  it("follows the chosen task, skips the other and what depends on it; a short-circuit skips everything after it", async () => {
    const h = home();
    const result = await h.weir(["run", mappingFixture("branching.ts"), "--json"]);
    // FailWithoutRetry fails the run (and SkipTask does not).
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(statesOf(doc)).toMatchObject({
      pick: "success",
      ship: "success",
      hold: "skipped",
      after_hold: "skipped",
      join: "success",
      gate: "success",
      gated: "skipped",
      gated_always: "skipped",
      skips: "skipped",
      no_retry: "failed",
    });
    expect(doc.tasks.find((t) => t.id === "no_retry")?.tries).toBe(1);
    expect(await outputOf(h.dir, doc.run.id, "pick")).toEqual(["ship"]);

    const other = await h.weir(["run", mappingFixture("branching.ts"), "--json", "--param", "score=0.1", "--param", "gate=true"]);
    const second = JSON.parse(other.stdout) as RunDocument;
    expect(statesOf(second)).toMatchObject({ ship: "skipped", hold: "success", after_hold: "success", join: "success", gated: "success", gated_always: "success" });
  });

  it("a branch naming a task that is not directly downstream fails without retry, saying why", async () => {
    const h = home();
    const result = await h.weir(["run", mappingFixture("bad_branch.ts"), "--json"]);
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(statesOf(doc)).toMatchObject({ pick: "failed", a: "upstream_failed" });
    const logs = await h.weir(["logs", doc.run.id, "pick"]);
    expect(logs.stdout).toContain("branch pick returned task far, which is not directly downstream of it (its direct downstream: a)");
  });
});

describe("weir graph and weir validate", () => {
  it("print the static graph with mapped tasks marked: where they expand and over which upstream", async () => {
    const h = home();
    const text = await h.weir(["graph", "examples/daily_training.ts"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/train\[\*\] +← features, validate {2}⇉ mapped at run time: one instance per element of validate's output; at most 4 at once/);
    expect(text.stdout).toMatch(/evaluate\[\*\] .*one instance per instance of train; instance i waits only for train\[i\]/);
    expect(text.stdout).toMatch(/decide .*branch: follows some of register, no_winner/);

    const json = await h.weir(["graph", mappingFixture("fanout.ts"), "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const view = JSON.parse(json.stdout) as { pipeline: string; tasks: { id: string; mapped: { mode: string; over: Record<string, string>; pairedWith: string[] } | null; collects: string[] }[] };
    const byId = new Map(view.tasks.map((t) => [t.id, t]));
    expect(view.pipeline).toBe("mapping_fanout");
    expect(byId.get("train")?.mapped).toMatchObject({ mode: "item", over: { item: "segments" }, pairedWith: [] });
    expect(byId.get("evaluate")?.mapped).toMatchObject({ mode: "item", over: { item: "train" }, pairedWith: ["train"] });
    expect(byId.get("product")?.mapped).toMatchObject({ mode: "product", over: { segment: "segments", weight: "weights" } });
    expect(byId.get("summary")?.collects).toEqual(["evaluate", "zipped", "product"]);
    expect(byId.get("segments")?.mapped).toBeNull();

    const validate = await h.weir(["validate", mappingFixture("fanout.ts")]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain("mapped at run time: train over segments, evaluate over train, zipped over segments & weights");

    // By id, once the pipeline is known to the store.
    await h.weir(["run", mappingFixture("limits.ts")]);
    const byIdText = await h.weir(["graph", "mapping_limits"]);
    expect(byIdText.stdout).toContain("work[*]");
  });

  it("bad input: an unknown file or id is one line and exit 2", async () => {
    const h = home();
    expect(badInputLine(await h.weir(["graph", "test/mapping/fixtures/nope.ts"]))).toContain("no such file");
    expect(badInputLine(await h.weir(["graph", "no_such_pipeline"]))).toContain("no_such_pipeline");
  });
});

describe("a mapped branch", () => {
  it("is not supported: weir validate names each one as a problem and exits 2", async () => {
    const h = home();
    const result = await h.weir(["validate", mappingFixture("mapped_branch.ts")]);
    expect(result.code).toBe(2);
    const text = result.stdout + result.stderr;
    expect(text).toContain("branch task pick can't be mapped (map is not supported on p.branch): branch on the mapped results instead, with needs");
    expect(text).toContain("short-circuit task gate can't be mapped (map is not supported on p.shortCircuit)");
  });
});
