// A new run's first decision, made before the run is in the store (the scheduler's due runs, create-due-runs.ts).
// When all it does is start the run and schedule its roots, the store inserts the run in that state
// (NewRun.started): one write of each row instead of an insert and then an update, and no commit of the
// coordinator's between the run's creation and its start (W6: a minute's thousand runs, bench/README.md).
import { advanceAll, applyDecision } from "../engine/index.js";
import type { Decision } from "../engine/types.js";
import type { NewRunStart } from "../store/types.js";
import type { ActiveRun } from "./dispatch.js";

export interface PreparedStart {
  /** The run as the coordinator will drive it, its snapshot already past the decision. Not driven yet. */
  readonly active: ActiveRun;
  /** The first decision: committed by the run's insert, its effects (timers, listeners) due after it. */
  readonly decision: Decision;
  /** What the insert writes instead of the decision (NewRun.started). */
  readonly started: NewRunStart;
}

/**
 * Decides `run_started` for a run not yet created (its snapshot fresh: queued, every instance pending) and
 * applies it to the snapshot. Null, with the snapshot untouched, when the decision writes more than the run's
 * and its instances' states (a run with no task ends at once; a notification; a mapped expansion): that run
 * is created queued and started by the coordinator's own commit.
 */
export function prepareStart(active: ActiveRun, nowMs: number): PreparedStart | null {
  const decision = advanceAll(active.snapshot, [{ kind: "run_started" }], nowMs);
  if (!onlyStarts(decision)) return null;
  applyDecision(active.snapshot, decision);
  const order = active.graph.order;
  let instanceStates: ("pending" | "scheduled")[];
  if (decision.transitions.length === order.length) instanceStates = order.map(() => "scheduled");
  else {
    const scheduled = new Set<string>();
    for (const t of decision.transitions) scheduled.add(t.taskId);
    instanceStates = order.map((taskId) => (scheduled.has(taskId) ? "scheduled" : "pending"));
  }
  return { active, decision, started: { atMs: nowMs, instanceStates } };
}

/** queued → running, and pending → scheduled of unmapped instances, each once: nothing else to write. */
function onlyStarts(decision: Decision): boolean {
  if (decision.run?.from !== "queued" || decision.run.to !== "running") return false;
  if (decision.actions.length > 0 || (decision.expansions?.length ?? 0) > 0 || (decision.collapses?.length ?? 0) > 0 || (decision.requestIds?.length ?? 0) > 0) return false;
  for (const t of decision.transitions) if (t.from !== "pending" || t.to !== "scheduled" || t.mapIndex !== -1 || t.tryNumber !== 0) return false;
  // Each instance once (a decision may list one several times): a set only where there can be two.
  return decision.transitions.length < 2 || new Set(decision.transitions.map((t) => t.taskId)).size === decision.transitions.length;
}
