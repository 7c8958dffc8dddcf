// Which runs a deadline applies to, on a real SQLite store: scheduled runs still active past it get one
// alert each; runs in time and manual, backfill or event runs get none (ended runs: deadlines.test.ts);
// the next deadline not yet passed is what the pass wakes for.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { RunDeadlines } from "../../src/scheduler/deadlines.js";
import type { RunTrigger, Store } from "../../src/store/types.js";
import { graph, newRun } from "../store/fixtures.js";
import { openTestStore } from "../support/test-stores.js";

const HOUR = 3_600_000;
const END = Date.UTC(2025, 2, 10);
const undo: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const u of undo.splice(0).reverse()) await u();
});

it("alerts scheduled runs past their deadline once, and wakes for the next one", async () => {
  const home = mkdtempSync(join(tmpdir(), "weir-deadline-"));
  undo.push(() => rmSync(home, { recursive: true, force: true }));
  const store: Store = await openTestStore("sqlite", home);
  undo.push(() => store.close());
  const withDeadline = { ...graph("p", "v1"), deadline: { afterMs: 2 * HOUR, notify: ["oncall"] } };
  await store.savePipelineVersion(withDeadline, END);
  const run = async (id: string, trigger: RunTrigger, endMs: number): Promise<void> => {
    await store.createRun(newRun({ id, trigger, logicalDateMs: endMs - 24 * HOUR, intervalStartMs: endMs - 24 * HOUR, intervalEndMs: endMs }), END);
  };
  await run("late", "scheduled", END);
  await run("soon", "scheduled", END + HOUR);
  for (const trigger of ["manual", "backfill", "event"] as const) await run(`late_${trigger}`, trigger, END);
  let kicks = 0;
  const deadlines = new RunDeadlines(store, (id, version) => store.getPipelineVersion(id, version), () => kicks++);
  const now = END + 2 * HOUR + 1;

  expect(await deadlines.check(await store.listActiveRuns(), now)).toBe(END + 3 * HOUR);
  expect(await deadlines.check(await store.listActiveRuns(), now + 1)).toBe(END + 3 * HOUR);
  // A second scheduler process (no memory of the first) writes nothing more either.
  const restarted = new RunDeadlines(store, (id, version) => store.getPipelineVersion(id, version), () => kicks++);
  expect(await restarted.check(await store.listActiveRuns(), now + 2)).toBe(END + 3 * HOUR);

  const pending = await store.pendingNotifications(100);
  expect(pending.map((n) => [n.runId, n.action.event, n.action.deadline])).toEqual([["late", "deadline_missed", { afterMs: 2 * HOUR, dueMs: END + 2 * HOUR, state: "queued" }]]);
  expect(kicks).toBe(1);
});
