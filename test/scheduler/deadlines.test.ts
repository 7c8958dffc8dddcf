// Pipeline deadlines on simulated time, with a real webhook receiver: a run still running past its deadline
// is reported once (also across a scheduler restart) and goes on to succeed; a run done in time is not.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookNotifier, type Notifier, type WebhookPayload } from "../../src/notify/index.js";
import { startHttpReceiver } from "../notify/http-receiver.js";
import { cleanup, runCleanup, setUp, T0, waitFor } from "../support/scheduler-harness.js";
import { STORE_KINDS } from "../support/test-stores.js";

afterEach(runCleanup);

const HOUR = 3_600_000;

// The latest interval at T0 (2025-03-10 12:00) is 2025-03-09, ending at 03-10 00:00: due at 14:00.
const source = (id: string, body: string): string => `
import { existsSync } from "node:fs";
import { pipeline } from "weir";
export default pipeline({ id: ${JSON.stringify(id)}, schedule: "@daily", start: "2025-03-09", deadline: { after: "14h", notify: ["oncall"] } }, (p) => {
  p.task("work", async () => { ${body} });
});
`;

for (const kind of STORE_KINDS) {
  describe(`pipeline deadline on ${kind}`, () => {
    it("alerts once for a run past its deadline without failing it, and never for a run done in time", async () => {
      const receiver = await startHttpReceiver(() => ({ status: 204 }));
      cleanup.push(() => receiver.close());
      const notifiers = new Map<string, Notifier>([["oncall", createWebhookNotifier({ type: "webhook", url: `${receiver.url}/hook` })]]);
      const gate = join(import.meta.dirname, `.tmp-gate-${kind}-${process.pid}`);
      const held = source("held", `while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20)); return "late";`);
      const quick = source("quick", `return existsSync("/") ? "on time" : "?";`);
      const h = await setUp({ "held.ts": held, "quick.ts": quick }, kind, { notifiers });
      cleanup.push(() => rmSync(gate, { force: true }));

      await waitFor("quick done, held running", async () => (await h.runs("quick"))[0]?.state === "success" && (await h.runs("held"))[0]?.state === "running");
      const heldRun = (await h.runs("held"))[0];
      await h.service.outbox.flush();
      expect(receiver.requests).toHaveLength(0);

      await h.clock.advanceTo(T0 + 3 * HOUR);
      await waitFor("the deadline alert", async () => receiver.requests.length >= 1);
      await h.service.outbox.flush();
      expect(receiver.requests).toHaveLength(1);
      const body = JSON.parse(receiver.requests[0]?.body ?? "{}") as WebhookPayload;
      expect(body).toMatchObject({
        event: "deadline_missed",
        pipeline: "held",
        run: heldRun?.id,
        task: null,
        logicalDate: "2025-03-09T00:00:00.000Z",
        deadline: { dueAt: "2025-03-10T14:00:00.000Z", state: "running" },
      });
      expect(body.deadline?.after).toMatch(/^14h/);
      // Found by the pass at the deadline's timer or a later one (the simulated clock may have moved on meanwhile).
      expect(Date.parse(body.at)).toBeGreaterThanOrEqual(T0 + 2 * HOUR);
      expect((await h.runs("held"))[0]?.state).toBe("running");

      // Later passes, and a restarted scheduler that finds the run still late, send nothing more.
      await h.clock.advanceTo(T0 + 4 * HOUR);
      await h.service.outbox.flush();
      await h.service.stop();
      await h.restart();
      await h.clock.advanceTo(T0 + 5 * HOUR);
      await h.service.outbox.flush();
      expect(receiver.requests).toHaveLength(1);

      writeFileSync(gate, "go");
      await waitFor("held succeeds", async () => (await h.runs("held"))[0]?.state === "success");
      await h.clock.advanceTo(T0 + 6 * HOUR);
      await h.service.outbox.flush();
      expect(receiver.requests).toHaveLength(1);
      expect((await h.runs("held")).map((r) => r.state)).toEqual(["success"]);
      expect((await h.runs("quick")).map((r) => r.state)).toEqual(["success"]);
    }, 90_000);
  });
}
