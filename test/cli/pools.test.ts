// Pools bound how many tasks run at once across pipelines; priority decides who goes first in a pool.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixture, makeHome, type Home } from "./helpers.js";

const homes: Home[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.remove();
});

describe("pools and priorities", () => {
  it("runs one task at a time in a one-slot pool, highest priority first", async () => {
    const h = makeHome();
    homes.push(h);
    const set = await h.weir(["pools", "set", "narrow", "1", "--description", "a rate-limited API"]);
    expect(set.code, set.stderr).toBe(0);
    const list = JSON.parse((await h.weir(["pools", "list", "--json"])).stdout) as { pools: { name: string; slots: number }[] };
    expect(list.pools).toContainEqual(expect.objectContaining({ name: "narrow", slots: 1 }));
    expect(list.pools.map((p) => p.name)).toContain("default");

    const run = await h.weir(["run", fixture("pools.ts"), "--concurrency", "4"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(join(h.dir, "ledger.txt"), "utf8").trim().split("\n");
    // Never two in the pool at once: every start is followed by its own end.
    for (let i = 0; i < lines.length; i += 2) expect(lines[i + 1]).toBe(lines[i]?.replace("start", "end"));
    expect(lines.filter((l) => l.startsWith("start"))).toEqual(["start p4", "start p3", "start p2", "start p1"]);

    const bad = await h.weir(["pools", "set", "narrow", "-3"]);
    expect(bad.code).toBe(2);
  }, 60_000);
});
