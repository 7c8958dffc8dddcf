/*
 * The states of runs and task instances (DESIGN.md §2, fixed names), defined once and imported by the
 * store, CLI, API and UI.
 *
 * Run states
 *   queued    created, not yet started by a scheduler (waiting for a maxActiveRuns slot, say).
 *   running   started: its task instances are being scheduled. Leaves when every instance is terminal.
 *   success   every instance ended and none of them failed (skipped instances are fine).
 *   failed    every instance ended and at least one failed or was upstream_failed, or the run timed out.
 *   canceled  a user canceled it; running tries were stopped, unfinished instances canceled.
 *
 * Task instance states
 *   pending          waiting for its upstream instances; its trigger rule is not yet satisfied.
 *   scheduled        its trigger rule is satisfied; waiting for capacity (pool, queue, limits).
 *   queued           a try has been created and handed to the executor, not yet started by a worker.
 *   running          a worker is executing the try (committed before any user code starts).
 *   deferred         waiting on a sensor or external event without holding a worker slot.
 *   up_for_retry     a try failed and the retry policy allows another; `retryAtMs` says when.
 *   success          the last try succeeded (a cache hit is success with cached = true). Terminal.
 *   failed           the last try failed and no retries remain (or the failure was not retryable). Terminal.
 *   skipped          not run: its trigger rule can never be met because of skipped upstreams, or a branch
 *                    chose another path, or the task asked to be skipped. Terminal.
 *   upstream_failed  not run because an upstream failed and its trigger rule required success. Terminal.
 *   canceled         the run was canceled before this instance finished. Terminal.
 *   removed          the task no longer exists in the pipeline version the run uses. Terminal.
 *
 * Terminal states never change again unless a user clears the instance (a new try, history kept).
 */

export const RUN_STATES = ["queued", "running", "success", "failed", "canceled"] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TASK_STATES = [
  "pending",
  "scheduled",
  "queued",
  "running",
  "deferred",
  "up_for_retry",
  "success",
  "failed",
  "skipped",
  "upstream_failed",
  "canceled",
  "removed",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  "success",
  "failed",
  "skipped",
  "upstream_failed",
  "canceled",
  "removed",
]);

export const TERMINAL_RUN_STATES: ReadonlySet<RunState> = new Set<RunState>(["success", "failed", "canceled"]);

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

export function isTerminalRunState(state: RunState): boolean {
  return TERMINAL_RUN_STATES.has(state);
}

/** Outcome of one try. */
export const TRY_STATES = ["queued", "running", "success", "failed", "skipped", "canceled"] as const;
export type TryState = (typeof TRY_STATES)[number];

// Trigger rule names are authoring vocabulary (define/); the engine evaluates them (trigger-rules.ts).
export { TRIGGER_RULES, isTriggerRule, type TriggerRule } from "../define/trigger-rule-names.js";
