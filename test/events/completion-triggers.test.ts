// Completion triggers (`schedule: { after: [...] }`) on a real scheduler over real SQLite: a run per logical
// date once every upstream pipeline's run for it succeeded, exactly once, across restarts.
import { afterEach, describe, expect, it } from "vitest";
import { allSucceeded, DAY, runCleanup, setUp, waitFor } from "../support/scheduler-harness.js";

afterEach(runCleanup);

const daily = (id: string, start: string, body = `async (ctx) => ctx.interval.start.toISOString()`): string => `
import { pipeline } from "weir";
export default pipeline({ id: "${id}", schedule: "@daily", start: "${start}", catchup: true }, (p) => {
  p.task("work", ${body});
});
`;

const after = (id: string, upstreams: string[]): string => `
import { pipeline } from "weir";
export default pipeline({ id: "${id}", schedule: { after: ${JSON.stringify(upstreams)} } }, (p) => {
  p.task("report", async (ctx) => ({ date: ctx.logicalDate.toISOString(), start: ctx.interval.start.toISOString(), end: ctx.interval.end.toISOString() }));
});
`;

const dates = async (runs: Promise<{ logicalDateMs: number }[]>): Promise<string[]> => (await runs).map((r) => new Date(r.logicalDateMs).toISOString().slice(0, 10));

describe("completion triggers", () => {
  it("a run for each logical date every upstream succeeded for, with the upstream's interval, exactly once across restarts", async () => {
    const h = await setUp({
      "ingest.ts": daily("ingest_daily", "2025-03-07"),
      "prices.ts": daily("prices", "2025-03-08"),
      "report.ts": after("report", ["ingest_daily"]),
      "both.ts": after("both", ["ingest_daily", "prices"]),
    });
    await waitFor("ingest's 3 runs", allSucceeded(h, "ingest_daily", 3));
    await waitFor("report's 3 runs", allSucceeded(h, "report", 3));
    expect(await dates(h.runs("report"))).toEqual(["2025-03-07", "2025-03-08", "2025-03-09"]);
    const first = (await h.runs("report"))[0];
    expect(first?.trigger).toBe("scheduled");
    expect(await h.output(first?.id ?? "", "report")).toEqual({ date: "2025-03-07T00:00:00.000Z", start: "2025-03-07T00:00:00.000Z", end: "2025-03-08T00:00:00.000Z" });
    // Only the dates both upstreams have: prices starts on the 8th.
    await waitFor("both's 2 runs", allSucceeded(h, "both", 2));
    expect(await dates(h.runs("both"))).toEqual(["2025-03-08", "2025-03-09"]);

    await h.service.stop();
    await h.restart();
    await h.clock.advanceBy(DAY);
    await waitFor("the next day's runs", async () => (await allSucceeded(h, "report", 4)()) && (await allSucceeded(h, "both", 3)()));
    await h.clock.advanceBy(120_000);
    expect(await dates(h.runs("report"))).toEqual(["2025-03-07", "2025-03-08", "2025-03-09", "2025-03-10"]);
    expect(await dates(h.runs("both"))).toEqual(["2025-03-08", "2025-03-09", "2025-03-10"]);
  }, 90_000);

  it("an upstream that fails starts nothing; a paused downstream waits and takes the success on unpause", async () => {
    const h = await setUp({
      "flaky.ts": daily("flaky", "2025-03-09", `async () => { throw new Error("no data"); }`),
      "ingest.ts": daily("ingest_daily", "2025-03-09"),
      "after_flaky.ts": after("after_flaky", ["flaky"]),
      "report.ts": after("report", ["ingest_daily"]),
    });
    await h.store.setPaused("report", true);
    await h.clock.advanceBy(60_000);
    await waitFor("flaky failed and ingest succeeded", async () => (await h.runs("flaky"))[0]?.state === "failed" && (await allSucceeded(h, "ingest_daily", 1)()));
    await h.clock.advanceBy(60_000);
    expect(await h.runs("after_flaky")).toEqual([]);
    expect(await h.runs("report")).toEqual([]);
    await h.store.setPaused("report", false);
    await h.clock.advanceBy(60_000);
    await waitFor("report's run after unpause", allSucceeded(h, "report", 1));
    expect(await dates(h.runs("report"))).toEqual(["2025-03-09"]);
  }, 60_000);
});
