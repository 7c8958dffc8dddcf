// Planning a backfill: every interval whose logical date lies in [from, to] (both inclusive, as
// Airflow's `backfill -s/-e`), and what happens to each given the runs that already exist. Pure: the
// caller loads the existing runs and writes the plan (or prints it for --dry-run).
import { WeirError } from "../common/errors.js";
import { toWallMs, zoneOffsetMs } from "../graph/zoned-time.js";
import { firesByItself } from "./due-runs.js";
import { nextFireAfter } from "./fire-times.js";
import type { ParsedSchedule } from "./schedule.js";

export type ExistingRunState = "queued" | "running" | "success" | "failed" | "canceled";
export type ReprocessMode = "none" | "failed" | "all";
export const REPROCESS_MODES: readonly ReprocessMode[] = ["none", "failed", "all"];

/**
 * - `create`: no run exists for the logical date; create one.
 * - `skip_success`: a successful run exists and the mode does not rerun successes.
 * - `skip_failed`: only failed/canceled runs exist and the mode is `none` (use `--reprocess failed`).
 * - `skip_running`: a run for it is still queued or running; never touched, whatever the mode.
 * - `rerun_failed`: mode `failed` and the existing run failed or was canceled; run it again.
 * - `rerun`: mode `all` and the existing run finished (success, failed or canceled); run it again.
 */
export type BackfillAction = "create" | "skip_success" | "skip_failed" | "skip_running" | "rerun_failed" | "rerun";

const ACTIONS: readonly BackfillAction[] = ["create", "rerun", "rerun_failed", "skip_success", "skip_failed", "skip_running"];

export interface ExistingRun {
  logicalDateMs: number;
  state: ExistingRunState;
}

export interface BackfillPlanOptions {
  /** First logical date (inclusive); the first interval starts at the first fire at or after it. */
  fromMs: number;
  /** Last logical date (inclusive): an interval starting exactly at `to` is part of the plan. */
  toMs: number;
  /** Runs that exist for this pipeline (any origin), matched to intervals by exact logical date. */
  existing: readonly ExistingRun[];
  reprocess: ReprocessMode;
}

export interface BackfillPlanItem {
  logicalDateMs: number;
  intervalStartMs: number;
  intervalEndMs: number;
  action: BackfillAction;
  /** The state of the existing run that decided the action (absent for `create`). */
  existingState?: ExistingRunState;
}

/** A plan longer than this is refused: narrow the range or split the backfill. */
export const MAX_BACKFILL_INTERVALS = 100_000;

const STATE_RANK: Record<ExistingRunState, number> = { queued: 3, running: 3, success: 2, failed: 1, canceled: 1 };

/**
 * With several runs for one logical date (a scheduled one and a manual one, say), the one that decides:
 * a queued/running run first (never touch an interval in flight), then a success, then failed/canceled.
 */
function decidingStates(existing: readonly ExistingRun[]): Map<number, ExistingRunState> {
  const states = new Map<number, ExistingRunState>();
  for (const run of existing) {
    if (!Object.hasOwn(STATE_RANK, run.state)) {
      throw new WeirError("run_state_invalid", `unknown run state ${JSON.stringify(run.state)}`, { input: false });
    }
    const current = states.get(run.logicalDateMs);
    if (current === undefined || STATE_RANK[run.state] > STATE_RANK[current]) states.set(run.logicalDateMs, run.state);
  }
  return states;
}

function actionFor(state: ExistingRunState | undefined, reprocess: ReprocessMode): BackfillAction {
  if (state === undefined) return "create";
  if (state === "queued" || state === "running") return "skip_running";
  if (reprocess === "all") return "rerun";
  if (state === "success") return "skip_success";
  return reprocess === "failed" ? "rerun_failed" : "skip_failed";
}

/**
 * The intervals of a backfill over logical dates [from, to] and the action for each, oldest first.
 * @throws WeirError `backfill_unscheduled` (a schedule that does not fire by itself: manual, events
 *   without cron, after-pipeline), `backfill_range_invalid` (from > to, or not finite),
 *   `backfill_reprocess_invalid`, `backfill_too_large` (more than MAX_BACKFILL_INTERVALS intervals).
 */
export function planBackfill(schedule: ParsedSchedule, options: BackfillPlanOptions): BackfillPlanItem[] {
  const { fromMs, toMs, reprocess } = options;
  if (!firesByItself(schedule)) {
    throw new WeirError(
      "backfill_unscheduled",
      `a backfill needs a schedule to compute intervals from; this pipeline's schedule (${schedule.kind}) does not fire by itself — use \`weir trigger\` for manual runs`,
    );
  }
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs) {
    throw new WeirError(
      "backfill_range_invalid",
      `backfill range is invalid: --from ${describeInstant(fromMs)} is after --to ${describeInstant(toMs)} (both are inclusive logical dates)`,
    );
  }
  if (!REPROCESS_MODES.includes(reprocess)) {
    throw new WeirError("backfill_reprocess_invalid", `--reprocess must be one of ${REPROCESS_MODES.join(", ")}, got ${JSON.stringify(reprocess)}`);
  }
  const states = decidingStates(options.existing);
  const plan: BackfillPlanItem[] = [];
  let start = nextFireAfter(schedule, fromMs - 1);
  while (start !== null && start <= toMs) {
    const end = nextFireAfter(schedule, start);
    if (end === null) break;
    if (plan.length === MAX_BACKFILL_INTERVALS) {
      throw new WeirError(
        "backfill_too_large",
        `backfill from ${describeInstant(fromMs)} to ${describeInstant(toMs)} has more than ${MAX_BACKFILL_INTERVALS} intervals; narrow the range or split it into several backfills`,
      );
    }
    const state = states.get(start);
    const item: BackfillPlanItem = { logicalDateMs: start, intervalStartMs: start, intervalEndMs: end, action: actionFor(state, reprocess) };
    if (state !== undefined) item.existingState = state;
    plan.push(item);
    start = end;
  }
  return plan;
}

function describeInstant(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

const DAY_MS = 86_400_000;

function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? "-" : "+";
  const minutes = Math.abs(offsetMs) / 60_000;
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * Human lines for `weir backfill --dry-run`, one per interval, in the pipeline's zone, then a summary:
 *   2025-09-01 → 2025-09-02  create
 *   2025-09-03 → 2025-09-04  rerun_failed (existing run: failed)
 *   3 intervals: 2 create, 1 rerun_failed
 * Dates alone when every boundary is at local midnight; otherwise `YYYY-MM-DD HH:mm` (`:ss` when needed),
 * with the UTC offset appended when it changes within the plan (so a repeated fall-back hour is unambiguous).
 */
export function describeBackfillPlan(plan: readonly BackfillPlanItem[], timezone: string): string[] {
  if (plan.length === 0) return ["no intervals in range: nothing to do"];
  const instants = plan.flatMap((item) => [item.intervalStartMs, item.intervalEndMs]);
  const walls = new Map(instants.map((t) => [t, toWallMs(timezone, t)]));
  const offsets = new Set(instants.map((t) => (walls.get(t) ?? t) - t));
  const wallOf = (t: number): number => walls.get(t) ?? toWallMs(timezone, t);
  const dateOnly = instants.every((t) => wallOf(t) % DAY_MS === 0);
  const seconds = instants.some((t) => wallOf(t) % 60_000 !== 0);
  const withOffset = !dateOnly && offsets.size > 1;
  const format = (t: number): string => {
    const text = new Date(wallOf(t)).toISOString();
    if (dateOnly) return text.slice(0, 10);
    const local = `${text.slice(0, 10)} ${text.slice(11, seconds ? 19 : 16)}`;
    return withOffset ? `${local}${formatOffset(zoneOffsetMs(timezone, t))}` : local;
  };
  const counts = new Map<BackfillAction, number>(ACTIONS.map((action) => [action, 0]));
  const lines = plan.map((item) => {
    counts.set(item.action, (counts.get(item.action) ?? 0) + 1);
    const existing = item.existingState === undefined ? "" : ` (existing run: ${item.existingState})`;
    return `${format(item.intervalStartMs)} → ${format(item.intervalEndMs)}  ${item.action}${existing}`;
  });
  const summary = ACTIONS.filter((action) => (counts.get(action) ?? 0) > 0)
    .map((action) => `${counts.get(action) ?? 0} ${action}`)
    .join(", ");
  lines.push(`${plan.length} interval${plan.length === 1 ? "" : "s"}: ${summary}`);
  return lines;
}
