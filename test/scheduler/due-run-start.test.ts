// Due runs start as they are created (create-due-runs.ts): created owned by the scheduler and handed to the
// coordinator without being listed and claimed again, within maxActiveRuns, after the runs already queued. A due
// run with room is written running, its first task scheduled, by the very transaction that creates it.
import { afterEach, describe, expect, it } from "vitest";
import { mostRunning, runCleanup, setUp, T0, waitFor } from "../support/scheduler-harness.js";
import { STORE_KINDS } from "../support/test-stores.js";

afterEach(runCleanup);

const MINUTE = 60_000;

const minutely = (id: string, options: string) => `
import { pipeline } from "weir";
export default pipeline({ id: "${id}", schedule: "* * * * *", start: "2025-03-10T11:00:00.000Z", ${options} }, (p) => {
  p.task("tick", async () => 1);
});
`;

for (const kind of STORE_KINDS) {
  describe(`due runs started at creation on ${kind}`, () => {
    it("every pipeline's due run is created owned by the scheduler and runs", async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 5; i++) files[`m${i}.ts`] = minutely(`m${i}`, "catchup: false");
      const h = await setUp(files, kind);
      const ids = Object.keys(files).map((f) => f.replace(".ts", ""));
      const done = async (count: number) => {
        for (const id of ids) if ((await h.runs(id)).filter((r) => r.state === "success").length < count) return false;
        return true;
      };
      await waitFor("the catch-up runs", () => done(1));
      await h.clock.advanceTo(T0 + MINUTE);
      await waitFor("the next minute's runs", () => done(2));
      for (const id of ids) {
        const runs = await h.runs(id);
        expect(runs.map((r) => [r.logicalDateMs, r.trigger, r.state, r.owner])).toEqual([
          [T0 - MINUTE, "scheduled", "success", h.service.ownerId],
          [T0, "scheduled", "success", h.service.ownerId],
        ]);
      }
    }, 60_000);

    it("a due run waits behind an older queued run when maxActiveRuns is reached, then starts", async () => {
      const h = await setUp({ "one.ts": minutely("one", "catchup: false, maxActiveRuns: 1") }, kind);
      await waitFor("the catch-up run", async () => (await h.runs("one")).some((r) => r.state === "success"));
      const graph = h.service.pipelines()[0]!;
      const order: string[] = [];
      h.service.onRunChange((change) => {
        if (change.runState === "running" && !order.includes(change.run.id)) order.push(change.run.id);
      });
      // Triggered by another process (`weir trigger` with the scheduler elsewhere): queued, nobody's yet.
      await h.store.createRun(
        { id: "manual_1", pipelineId: "one", version: graph.version, trigger: "manual", logicalDateMs: T0, intervalStartMs: T0, intervalEndMs: T0, params: {}, file: graph.file, taskIds: graph.order },
        T0,
      );
      // The minute ends: the queued manual run takes the one slot; the due run is created queued behind it.
      await h.clock.advanceTo(T0 + MINUTE);
      await waitFor("both runs", async () => (await h.runs("one")).filter((r) => r.state === "success").length === 3);
      const scheduled = (await h.runs("one")).find((r) => r.trigger === "scheduled" && r.logicalDateMs === T0);
      expect(scheduled).toBeDefined();
      expect(order).toEqual(["manual_1", scheduled!.id]);
      expect(scheduled!.owner).toBe(h.service.ownerId);
    }, 60_000);

    it("catch-up: as many due runs start at once as maxActiveRuns allows, the rest as slots free", async () => {
      const h = await setUp({ "many.ts": minutely("many", "catchup: true, maxActiveRuns: 2") }, kind);
      const most = mostRunning(h.service);
      // 11:00 to 12:00: sixty intervals ended at start.
      await waitFor("the sixty caught-up runs", async () => (await h.runs("many")).filter((r) => r.state === "success").length === 60);
      const runs = await h.runs("many");
      expect(runs).toHaveLength(60);
      expect(new Set(runs.map((r) => r.logicalDateMs)).size).toBe(60);
      expect(runs.every((r) => r.owner === h.service.ownerId)).toBe(true);
      expect(most()).toBeLessThanOrEqual(2);
    }, 60_000);

    it("a due run with room is committed running, its first task scheduled, by the transaction that creates it", async () => {
      const h = await setUp({ "first.ts": minutely("first", "catchup: false"), "second.ts": minutely("second", "catchup: false") }, kind);
      await waitFor("the catch-up runs", async () => (await h.runs("first")).some((r) => r.state === "success") && (await h.runs("second")).some((r) => r.state === "success"));
      // Reads the rows as soon as the creating transaction has committed: before createDueRuns hands the runs to
      // the coordinator, so no commit of the coordinator's can have come in between.
      const seen: { run: unknown; instances: unknown }[] = [];
      const createRuns = h.store.createRuns.bind(h.store);
      h.store.createRuns = async (runs, nowMs, fence) => {
        const results = await createRuns(runs, nowMs, fence);
        for (const result of results) {
          const run = await h.store.getRun(result.id);
          seen.push({ run: run && { state: run.state, startedMs: run.startedMs, owner: run.owner }, instances: (await h.store.listTaskInstances(result.id)).map((i) => [i.taskId, i.state, i.tryNumber]) });
        }
        return results;
      };
      const firstChanges: string[] = [];
      const heard = new Set<string>();
      h.service.onRunChange((change) => {
        if (heard.has(change.run.id)) return;
        heard.add(change.run.id);
        firstChanges.push(`${change.runState} ${change.transitions.map((t) => `${t.taskId}:${t.from}→${t.to}`).join(",")}`);
      });
      await h.clock.advanceTo(T0 + MINUTE);
      await waitFor("the minute's runs", async () => (await h.runs("first")).length === 2 && (await h.runs("second")).length === 2 && heard.size === 2);
      expect(seen).toEqual([
        { run: { state: "running", startedMs: T0 + MINUTE, owner: h.service.ownerId }, instances: [["tick", "scheduled", 0]] },
        { run: { state: "running", startedMs: T0 + MINUTE, owner: h.service.ownerId }, instances: [["tick", "scheduled", 0]] },
      ]);
      // What listeners hear first is that start, as committed.
      expect(firstChanges).toEqual(["running tick:pending→scheduled", "running tick:pending→scheduled"]);
      await waitFor("both runs to succeed", async () => (await h.runs("first")).every((r) => r.state === "success") && (await h.runs("second")).every((r) => r.state === "success"));
    }, 60_000);
  });
}
