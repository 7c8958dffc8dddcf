// The store contract for missed run deadlines: one outbox row per run however often it is recorded, read
// back by the outbox with the deadline's details. Called from describeStoreContract (both backends).
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import { T0 } from "./contract-support.js";
import { newRun } from "./fixtures.js";

/** `store()` is the fresh, migrated store of the current test, with pipeline p at version v1 saved. */
export function describeDeadlinesContract(store: () => Store): void {
  describe("missed deadlines", () => {
    it("records a run's deadline_missed once, and the outbox reads it back with its details", async () => {
      await store().createRun(newRun({ id: "r1" }), T0);
      const deadline = { afterMs: 7_200_000, dueMs: T0 + 5, state: "running" };
      expect(await store().recordDeadlineMissed("r1", ["oncall"], deadline, T0 + 10)).toBe(true);
      expect(await store().recordDeadlineMissed("r1", ["oncall"], { ...deadline, state: "queued" }, T0 + 20)).toBe(false);
      const pending = (await store().pendingNotifications(10)).filter((n) => n.runId === "r1");
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ runId: "r1", pipelineId: "p", createdMs: T0 + 10, action: { kind: "notify", event: "deadline_missed", notifiers: ["oncall"], deadline } });
      // Delivered: still never written again (a restarted scheduler finds the run still late).
      await store().markNotificationDone(pending[0]?.id ?? "", T0 + 30, 1, null);
      expect(await store().recordDeadlineMissed("r1", ["oncall"], deadline, T0 + 40)).toBe(false);
      expect((await store().pendingNotifications(10)).filter((n) => n.runId === "r1")).toEqual([]);
    });
  });
}
