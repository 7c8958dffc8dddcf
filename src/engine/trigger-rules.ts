// Trigger rules decide when a task instance may run from the terminal outcomes of its direct upstream
// instances. Semantics follow Airflow's trigger_rule_dep so pipelines ported from Airflow behave the same.
import { assertNever } from "../common/assert-never.js";
import type { TriggerRule } from "./states.js";
import type { UpstreamCounts } from "./types.js";

/** What a pending instance should do now: keep waiting, be scheduled, or end without running. */
export type TriggerOutcome = "wait" | "run" | "skip" | "upstream_failed";

export function zeroCounts(total: number): UpstreamCounts {
  return { success: 0, skipped: 0, failed: 0, upstreamFailed: 0, removed: 0, total };
}

export function doneCount(counts: UpstreamCounts): number {
  return counts.success + counts.skipped + counts.failed + counts.upstreamFailed + counts.removed;
}

/**
 * Evaluates `rule` against the upstream counts. Removed (and canceled) upstreams are left out of the
 * reckoning, as Airflow does: a task that no longer exists is not an upstream of anything, so the rules
 * see `total - removed` upstreams. That also means every rule decides once all upstreams are done,
 * which is what guarantees a run always ends.
 */
export function evaluateTriggerRule(rule: TriggerRule, counts: UpstreamCounts): TriggerOutcome {
  const { success, skipped, failed, upstreamFailed } = counts;
  const upstream = counts.total - counts.removed;
  // No (remaining) upstream: nothing to wait for, whatever the rule (Airflow passes the dep outright).
  if (upstream <= 0 || rule === "always") return "run";
  const done = success + skipped + failed + upstreamFailed;
  const allDone = done >= upstream;
  const anyFailure = failed + upstreamFailed > 0;

  switch (rule) {
    case "all_success":
      if (anyFailure) return "upstream_failed";
      if (skipped > 0) return "skip";
      return success >= upstream ? "run" : "wait";
    case "all_failed":
      if (success > 0 || skipped > 0) return "skip";
      return failed + upstreamFailed >= upstream ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "all_skipped":
      if (success > 0 || anyFailure) return "skip";
      return skipped >= upstream ? "run" : "wait";
    case "one_success":
      if (success > 0) return "run";
      if (allDone) return skipped === done ? "skip" : "upstream_failed";
      return "wait";
    case "one_failed":
      if (anyFailure) return "run";
      return allDone ? "skip" : "wait";
    case "one_done":
      // Airflow counts only the upstream's own outcomes here: an upstream_failed upstream never ran,
      // so it is neither "succeeded" nor "failed" for one_done.
      if (success + failed > 0) return "run";
      return allDone ? "skip" : "wait";
    case "none_failed":
      if (anyFailure) return "upstream_failed";
      return allDone ? "run" : "wait";
    case "none_failed_min_one_success":
      if (anyFailure) return "upstream_failed";
      if (skipped >= upstream) return "skip";
      return allDone ? "run" : "wait";
    case "none_skipped":
      if (skipped > 0) return "skip";
      return allDone ? "run" : "wait";
    default:
      return assertNever(rule, "trigger rule");
  }
}
