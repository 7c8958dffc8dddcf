// A pipeline `timeout` (dagrun timeout): a run still going past it fails; its running try is stopped and
// failed with RunTimeoutError, tasks that had not started are skipped, finished ones keep their state.
import { afterEach, describe, expect, it } from "vitest";
import { fixture, makeHome, type Home, type RunDocument } from "./helpers.js";

const homes: Home[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.remove();
});

describe("run timeout", () => {
  it("fails a run that goes past its pipeline's timeout", async () => {
    const h = makeHome();
    homes.push(h);
    const result = await h.weir(["run", fixture("run_timeout.ts"), "--json"]);
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(doc.run.state).toBe("failed");
    expect(Object.fromEntries(doc.tasks.map((t) => [t.id, t.state]))).toEqual({ slow: "failed", after: "skipped", quick: "success" });
    const logs = await h.weir(["logs", doc.run.id, "slow"]);
    expect(logs.stderr).toMatch(/RunTimeoutError: the run did not finish within its timeout/);
  }, 30_000);
});
