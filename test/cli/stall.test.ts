// Regressions of runs that could stop making progress without ending.
import { afterEach, describe, expect, it } from "vitest";
import { fixture, makeHome, type Home, type RunDocument } from "./helpers.js";

const homes: Home[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.remove();
});

describe("a run always ends", () => {
  it("goes on after a worker is killed for ignoring its timeout, with a single worker", async () => {
    const h = makeHome();
    homes.push(h);
    const result = await h.weir(["run", fixture("stall.ts"), "--concurrency", "1", "--json"], { WEIR_KILL_GRACE: "200ms" });
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as RunDocument;
    const states = Object.fromEntries(doc.tasks.map((t) => [t.id, t.state]));
    expect(states).toEqual({ spin: "failed", other: "success" });
    expect(doc.run.state).toBe("failed");
  }, 60_000);
});
