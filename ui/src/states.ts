// The colour of every state, after Airflow's conventions so its users read the UI at a glance. The state
// names come from src/api/types.ts; the Records below fail to compile if a state is added there.
import type { RunState, TaskState, TryState } from "../../src/api/types";

interface StateStyle {
  fill: string;
  /** Text drawn on the fill. */
  ink: string;
}

const light = "#ffffff";
const dark = "#1f2933";

export const TASK_STATE_STYLES: Record<TaskState, StateStyle> = {
  pending: { fill: "#e4e7eb", ink: dark },
  scheduled: { fill: "#d2b48c", ink: dark },
  queued: { fill: "#9aa5b1", ink: dark },
  running: { fill: "#14b8a6", ink: light },
  deferred: { fill: "#8b5cf6", ink: light },
  up_for_retry: { fill: "#eab308", ink: dark },
  success: { fill: "#16a34a", ink: light },
  failed: { fill: "#dc2626", ink: light },
  skipped: { fill: "#ec4899", ink: light },
  upstream_failed: { fill: "#f97316", ink: light },
  canceled: { fill: "#52606d", ink: light },
  removed: { fill: "#cbd2d9", ink: dark },
};

export const RUN_STATE_STYLES: Record<RunState, StateStyle> = {
  queued: TASK_STATE_STYLES.queued,
  running: TASK_STATE_STYLES.running,
  success: TASK_STATE_STYLES.success,
  failed: TASK_STATE_STYLES.failed,
  canceled: TASK_STATE_STYLES.canceled,
};

export const TRY_STATE_STYLES: Record<TryState, StateStyle> = {
  queued: TASK_STATE_STYLES.queued,
  running: TASK_STATE_STYLES.running,
  success: TASK_STATE_STYLES.success,
  failed: TASK_STATE_STYLES.failed,
  skipped: TASK_STATE_STYLES.skipped,
  canceled: TASK_STATE_STYLES.canceled,
};

/** Every task state, in the order of a run's life (the keys of the Record above, so never out of date). */
export const TASK_STATES = Object.keys(TASK_STATE_STYLES) as TaskState[];
export const RUN_STATES = Object.keys(RUN_STATE_STYLES) as RunState[];

/** Worst first: the state a group of instances is summarised by (a mapped task, a collapsed node). */
const SEVERITY: TaskState[] = [
  "failed",
  "upstream_failed",
  "up_for_retry",
  "running",
  "deferred",
  "queued",
  "scheduled",
  "pending",
  "canceled",
  "skipped",
  "success",
  "removed",
];

export function summaryState(counts: Partial<Record<TaskState, number>>): TaskState | null {
  for (const state of SEVERITY) if ((counts[state] ?? 0) > 0) return state;
  return null;
}

export function stateLabel(state: string): string {
  return state.replace(/_/g, " ");
}

const TERMINAL_RUN: ReadonlySet<RunState> = new Set<RunState>(["success", "failed", "canceled"]);
export function isRunFinished(state: RunState): boolean {
  return TERMINAL_RUN.has(state);
}
