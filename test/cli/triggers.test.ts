// Trigger rules end to end, against Airflow's semantics (trigger_rule_dep): every rule with a failed,
// a successful and a skipped upstream, and upstream_failed propagating.
import { afterEach, describe, expect, it } from "vitest";
import { fixture, makeHome, runDocument, runIdOf, statesOf, type Home } from "./helpers.js";

const EXPECTED: Record<string, string> = {
  ok: "success",
  bad: "failed",
  skip: "skipped", // all_failed with a successful upstream

  "all_success__ok_bad": "upstream_failed",
  "all_failed__ok_bad": "skipped",
  "all_done__ok_bad": "success",
  "all_skipped__ok_bad": "skipped",
  "one_success__ok_bad": "success",
  "one_failed__ok_bad": "success",
  "one_done__ok_bad": "success",
  "none_failed__ok_bad": "upstream_failed",
  "none_failed_min_one_success__ok_bad": "upstream_failed",
  "none_skipped__ok_bad": "success",
  "always__ok_bad": "success",

  "all_failed__bad": "success",
  "one_success__bad": "upstream_failed",

  "one_failed__ok": "skipped",
  "all_skipped__ok": "skipped",

  "all_success__skip": "skipped",
  "all_skipped__skip": "success",
  "one_done__skip": "skipped",
  "one_success__skip": "skipped",
  "none_failed_min_one_success__skip": "skipped",
  "none_failed__skip_ok": "success",
  "none_failed_min_one_success__skip_ok": "success",
  "none_skipped__skip_ok": "skipped",

  "all_success__upstream_failed": "upstream_failed",
  "all_done__upstream_failed": "success",
  "one_failed__upstream_failed": "success",
};

describe("trigger rules", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("gives every task instance its Airflow state; the run fails because a task failed", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("triggers.ts")]);
    expect(result.code, result.stderr).toBe(1);
    const doc = await runDocument(h, runIdOf(result));
    expect(doc.run.state).toBe("failed");
    expect(statesOf(doc)).toEqual(EXPECTED);
    // Tasks that never ran have no tries.
    for (const task of doc.tasks) {
      if (task.state === "skipped" || task.state === "upstream_failed") expect(task.tries, task.id).toBe(0);
      else expect(task.tries, task.id).toBe(1);
    }
  });

  it("says why a task was skipped: no 'upstream skipped' when no upstream was skipped", async () => {
    h = makeHome();
    const result = await h.weir(["run", fixture("triggers.ts")]);
    expect(result.code, result.stderr).toBe(1);
    // These were skipped because an upstream succeeded (or none failed), with no skipped upstream at all.
    for (const task of ["skip", "all_failed__ok_bad", "all_skipped__ok_bad", "one_failed__ok", "all_skipped__ok"]) {
      const line = result.stderr.split("\n").find((l) => l.split(" ")[1] === task && l.includes(" skipped"));
      expect(line, task).toBeDefined();
      expect(line, task).not.toMatch(/upstream skipped/);
    }
    // Where an upstream was skipped, saying so is right.
    expect(result.stderr).toMatch(/ all_success__skip skipped · .*upstream skipped/);
  });
});
