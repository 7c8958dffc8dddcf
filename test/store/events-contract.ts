// The events part of the Store contract (migration 0006, docs/events.md), on every store: recording and
// listing events, exactly-once delivery to a pipeline together with the run it starts, and consumption of
// upstream runs by a completion-triggered pipeline.
import { beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import { decision, graph, newRun } from "./fixtures.js";
import { T0 } from "./contract-support.js";

export function describeEventsContract(store: () => Store): void {
  describe("events", () => {
    beforeEach(async () => {
      await store().savePipelineVersion(graph("q", "v1"), T0);
    });

    it("records events with their JSON payloads, reads one back, lists newest first by name with a cursor", async () => {
      const s = store().events;
      await s.recordEvent({ id: "e1", name: "orders.loaded", payload: { rows: 1, nested: [1, { a: null }] } }, T0 + 1);
      await s.recordEvent({ id: "e2", name: "orders.loaded", payload: null }, T0 + 2);
      await s.recordEvent({ id: "e3", name: "other", payload: [1, "two"] }, T0 + 2);
      expect(await s.getEvent("e1")).toEqual({ id: "e1", name: "orders.loaded", payload: { rows: 1, nested: [1, { a: null }] }, receivedMs: T0 + 1, deliveries: [] });
      expect(await s.getEvent("nope")).toBeNull();
      expect((await s.listEvents({ limit: 10 })).map((e) => e.id)).toEqual(["e3", "e2", "e1"]);
      expect((await s.listEvents({ name: "orders.loaded", limit: 10 })).map((e) => e.id)).toEqual(["e2", "e1"]);
      expect((await s.listEvents({ limit: 10, before: { receivedMs: T0 + 2, id: "e3" } })).map((e) => e.id)).toEqual(["e2", "e1"]);
      expect((await s.listEvents({ limit: 1 })).map((e) => e.payload)).toEqual([[1, "two"]]);
    });

    it("pending events: of the names, since a time, not yet handled by that pipeline, oldest first", async () => {
      const s = store().events;
      await s.recordEvent({ id: "old", name: "a", payload: 0 }, T0 - 10);
      await s.recordEvent({ id: "e1", name: "a", payload: 1 }, T0 + 1);
      await s.recordEvent({ id: "e2", name: "b", payload: 2 }, T0 + 2);
      await s.recordEvent({ id: "e3", name: "c", payload: 3 }, T0 + 3);
      expect((await s.pendingEvents("q", ["a", "b"], T0, 10)).map((e) => e.id)).toEqual(["e1", "e2"]);
      expect((await s.pendingEvents("q", ["a", "b"], T0, 1)).map((e) => e.id)).toEqual(["e1"]);
      expect(await s.pendingEvents("q", [], T0, 10)).toEqual([]);
      await s.deliverEvents("q", [{ eventId: "e1", outcome: "rejected", reason: "bad payload" }], null, T0 + 5);
      expect((await s.pendingEvents("q", ["a", "b"], T0, 10)).map((e) => e.id)).toEqual(["e2"]);
      // Another pipeline has not handled it.
      expect((await s.pendingEvents("p", ["a"], T0, 10)).map((e) => e.id)).toEqual(["e1"]);
      expect((await s.getEvent("e1"))?.deliveries).toEqual([{ eventId: "e1", pipelineId: "q", outcome: "rejected", runId: null, reason: "bad payload", doneMs: T0 + 5 }]);
    });

    it("delivers events with the run they start in one transaction, exactly once, at a logical date no other run of the pipeline has", async () => {
      const s = store().events;
      await s.recordEvent({ id: "e1", name: "a", payload: 1 }, T0);
      await s.recordEvent({ id: "e2", name: "a", payload: 2 }, T0);
      await store().createRun(newRun({ id: "existing", pipelineId: "q", logicalDateMs: T0, intervalStartMs: T0, intervalEndMs: T0 }), T0);
      const run = newRun({ id: "ev_run", pipelineId: "q", trigger: "event", logicalDateMs: T0, intervalStartMs: T0, intervalEndMs: T0, params: { $event: 2 } });
      const first = await s.deliverEvents("q", [{ eventId: "e2", outcome: "started" }, { eventId: "e1", outcome: "superseded" }], run, T0 + 1);
      expect(first).toEqual({ delivered: true, runId: "ev_run" });
      const created = await store().getRun("ev_run");
      expect(created).toMatchObject({ trigger: "event", logicalDateMs: T0 + 1, params: { $event: 2 }, state: "queued" });
      expect((await s.eventsOfRun("ev_run")).map((d) => [d.eventId, d.outcome])).toEqual([["e1", "superseded"], ["e2", "started"]].sort());
      // Again: nothing written, no second run.
      const again = await s.deliverEvents("q", [{ eventId: "e2", outcome: "started" }], newRun({ id: "ev_run_2", pipelineId: "q", trigger: "event", logicalDateMs: T0 + 9 }), T0 + 2);
      expect(again).toEqual({ delivered: false, runId: null });
      expect(await store().getRun("ev_run_2")).toBeNull();
      expect((await s.getEvent("e2"))?.deliveries.map((d) => d.runId)).toEqual(["ev_run"]);
    });

    it("knows when a pipeline was first registered", async () => {
      await store().savePipelineVersion(graph("q", "v2"), T0 + 100);
      expect(await store().events.pipelineFirstRegisteredMs("q")).toBe(T0);
      expect(await store().events.pipelineFirstRegisteredMs("nope")).toBeNull();
    });

    it("upstream runs: successes not consumed yet, successes at a logical date, consumed once with the run they start", async () => {
      const s = store().events;
      const succeed = async (id: string, pipelineId: string, logicalDateMs: number, endMs: number): Promise<void> => {
        await store().createRun(newRun({ id, pipelineId, logicalDateMs, intervalStartMs: logicalDateMs, intervalEndMs: logicalDateMs + 1 }), T0);
        await store().applyDecisions([decision(id, endMs - 1, [], { from: "queued", to: "running" })]);
        await store().applyDecisions([decision(id, endMs, [], { from: "running", to: "success" })]);
      };
      await succeed("p1", "p", 1000, T0 + 10);
      await succeed("p2", "p", 2000, T0 + 20);
      await store().createRun(newRun({ id: "p3", pipelineId: "p", logicalDateMs: 3000 }), T0);
      expect((await s.pendingUpstreamRuns("q", ["p"], T0, 10)).map((r) => r.id)).toEqual(["p1", "p2"]);
      expect((await s.pendingUpstreamRuns("q", ["p"], T0 + 15, 10)).map((r) => r.id)).toEqual(["p2"]);
      expect((await s.successfulRunsAt(["p", "q"], 1000)).map((r) => r.id)).toEqual(["p1"]);
      expect(await s.successfulRunsAt(["p"], 3000)).toEqual([]);
      const run = newRun({ id: "q1", pipelineId: "q", trigger: "scheduled", logicalDateMs: 1000 });
      expect(await s.consumeUpstreamRuns("q", ["p1"], run, T0 + 30)).toEqual({ consumed: true, runId: "q1" });
      expect((await s.pendingUpstreamRuns("q", ["p"], T0, 10)).map((r) => r.id)).toEqual(["p2"]);
      expect(await s.consumeUpstreamRuns("q", ["p1"], newRun({ id: "q1b", pipelineId: "q", trigger: "scheduled", logicalDateMs: 5000 }), T0 + 31)).toEqual({ consumed: false, runId: null });
      expect(await store().getRun("q1b")).toBeNull();
      // Consumed without a run (the other upstreams are not there yet).
      expect(await s.consumeUpstreamRuns("q", ["p2"], null, T0 + 32)).toEqual({ consumed: true, runId: null });
      expect(await s.pendingUpstreamRuns("q", ["p"], T0, 10)).toEqual([]);
    });
  });
}
