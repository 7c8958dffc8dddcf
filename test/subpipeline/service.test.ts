// Sub-pipelines under the scheduler service (`weir dev`/`weir scheduler`): the other pipeline lives in another
// file of the same path, found through the registry; the child run is driven once, by the same coordinator,
// even though the service also sees it queued.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { ManualClock } from "../../src/scheduler/manual-clock.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import { openTestStore } from "../support/test-stores.js";

const T0 = Date.UTC(2025, 2, 10, 12, 0, 0);
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

const REPORTING = `
import { z } from "zod";
import { pipeline } from "weir";
export default pipeline({ id: "reporting", params: z.object({ region: z.string() }) }, (p) => {
  p.task("report", async (ctx) => ctx.params.region + "@" + ctx.logicalDate.toISOString().slice(0, 10));
});
`;

// Imports the child's pipeline without exporting it: the scheduler finds it through the registry.
const NIGHTLY = `
import { pipeline } from "weir";
import reporting from "./reporting.js";
export default pipeline({ id: "nightly", schedule: "@daily", start: "2025-03-01" }, (p) => {
  const load = p.task("load", async () => 1);
  p.pipeline("report_eu", { pipeline: reporting, params: { region: "eu" }, after: [load] });
});
`;

describe("p.pipeline under the scheduler service", () => {
  it("finds the other pipeline in the registry and drives its run once", async () => {
    const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "reporting.ts"), REPORTING);
    writeFileSync(join(dir, "nightly.ts"), NIGHTLY);
    const home = mkdtempSync(join(tmpdir(), "weir-subpipeline-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }), () => rmSync(home, { recursive: true, force: true }));
    const store = await openTestStore("sqlite", home);
    cleanup.push(() => store.close());
    let service: SchedulerService | null = null;
    const pool = new LocalWorkerPool({ size: 2, onResult: (k, r, t) => service?.coordinator.handleResult(k, r, t), onCapacity: () => service?.coordinator.wake() });
    service = new SchedulerService({ store, executor: pool, clock: new ManualClock(T0), home, root: dir, watch: false, pollMs: 60_000 });
    const started = service;
    cleanup.push(async () => {
      await started.stop();
      await pool.close();
    });
    await service.start();

    const until = Date.now() + 30_000;
    while ((await store.listRuns({ pipelineId: "nightly" }))[0]?.state !== "success") {
      if (Date.now() > until) throw new Error("timed out waiting for the nightly run");
      await new Promise((r) => setTimeout(r, 20));
    }
    const [parent] = await store.listRuns({ pipelineId: "nightly" });
    const children = await store.listRuns({ pipelineId: "reporting" });
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ state: "success", logicalDateMs: parent!.logicalDateMs, params: { region: "eu" } });
    expect(await store.listSubRuns(parent!.id)).toMatchObject([{ childRunId: children[0]!.id, parentTaskId: "report_eu" }]);
    expect((await store.listTries(children[0]!.id, "report")).map((t) => t.state)).toEqual(["success"]);
  });
});
