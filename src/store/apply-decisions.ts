// Persists engine decisions: the whole batch in one transaction (group commit), each decision in a savepoint,
// every write guarded by the state (and try number) it expects. A guard that fails rolls back that decision
// alone and becomes a conflict value; the rest of the batch commits.
import type { Decision, InstanceTransition, MapCollapse, MapExpansion, RunTransition } from "../engine/types.js";
import { instanceKey, isEmptyDecision } from "../engine/types.js";
import { isTerminalRunState, isTerminalTaskState, type TaskState, type TryState } from "../engine/states.js";
import { batchWrites, SpeculationFailed } from "./batched-writes.js";
import { runAll, type Dialect, type SqlTransaction } from "./dialect.js";
import { FINISH_RUN_REQUEST_BY_DECISION } from "./sql/requests.js";
import { DELETE_PLACEHOLDER_INSTANCE, INSERT_MAPPED_INSTANCES_PARAMS_PER_ROW, insertMappedInstancesSql, REOPEN_INSTANCE, START_INSTANCE, TRANSITION_INSTANCE } from "./sql/instances.js";
import { DELETE_PENDING_MAPPED_INSTANCES, INSERT_PLACEHOLDER_INSTANCE, SET_MAP_SHAPE, SET_MAPPED_TRY_NUMBER } from "./sql/instances.js";
import { END_RUN, START_RUN, TRANSITION_RUN } from "./sql/runs.js";
import { END_TRY, INSERT_RUNNING_TRY, QUEUE_TRY, START_TRY } from "./sql/tries.js";
import { writeNotifications } from "./outbox.js";
import { SetWrites } from "./apply-sets.js";
import { foldScheduledMoves, type FoldedMoves } from "./fold-moves.js";
import { recordArtifactRef } from "./cache-artifacts.js";
import { isArtifactRef } from "../artifacts/reference.js";
import { MARK_INSTANCE_CACHED, SET_TRY_CACHE_KEY } from "./sql/cache-artifacts.js";
import { holdFence } from "./leases.js";
import type { ApplyResult, LeaseFence } from "./types.js";

/** Instance states in which a try exists and has not ended. */
const TRY_HOLDING_STATES: ReadonlySet<TaskState> = new Set<TaskState>(["queued", "running", "deferred"]);

/** The try's outcome when its instance moves to one of these states out of a try-holding state. */
const TRY_OUTCOMES: ReadonlyMap<TaskState, TryState> = new Map<TaskState, TryState>([
  ["success", "success"],
  ["failed", "failed"],
  ["up_for_retry", "failed"],
  ["skipped", "skipped"],
  ["canceled", "canceled"],
]);

/** Thrown inside a decision's savepoint when a guard did not hold; never escapes this module. */
class GuardFailed {
  constructor(readonly what: string) {}
}

export async function applyDecisionBatch(dialect: Dialect, decisions: readonly Decision[], fence?: LeaseFence): Promise<ApplyResult> {
  if (decisions.length === 0) return { applied: [], conflicts: [] };
  // Conflicts are rare (another writer, a stale snapshot): apply the batch straight, and only when a guard
  // fails roll it all back and apply it again decision by decision, each in its own savepoint.
  // Where round trips cost (Postgres) the straight pass is sent as one batch (batched-writes.ts).
  try {
    await dialect.transaction(async (tx) => {
      const writes = batchWrites(tx);
      if (fence) await holdFence(writes.tx, fence);
      // Where writes are not batched (SQLite), each statement costs: consecutive ones of a shape go as one.
      const setBased = (decision: Decision): boolean => !writes.batching && decision.transitions.length >= SET_MIN_TRANSITIONS;
      const folds = foldScheduledMoves(decisions, (decision) => !setBased(decision));
      for (const decision of decisions) await applyDecision(writes.tx, decision, setBased(decision), folds);
      await writes.flush();
    });
    return { applied: decisions.map((_, index) => index), conflicts: [] };
  } catch (error) {
    if (!(error instanceof SpeculationFailed) && conflictOf(dialect, error) === null) throw error;
  }
  return applyIsolated(dialect, decisions, fence);
}

/** Below this many transitions a decision is written row by row: gathering costs more than it saves. */
const SET_MIN_TRANSITIONS = 16;

async function applyIsolated(dialect: Dialect, decisions: readonly Decision[], fence: LeaseFence | undefined): Promise<ApplyResult> {
  // Built inside the transaction: a dialect may run it again from the start (Postgres after a deadlock).
  return dialect.transaction(async (tx) => {
    if (fence) await holdFence(tx, fence);
    const result: ApplyResult = { applied: [], conflicts: [] };
    for (let index = 0; index < decisions.length; index++) {
      const decision = decisions[index]!;
      if (isEmptyDecision(decision)) {
        result.applied.push(index);
        continue;
      }
      try {
        await tx.savepoint(() => applyDecision(tx, decision));
        result.applied.push(index);
      } catch (error) {
        const what = conflictOf(dialect, error);
        if (what === null) throw error;
        result.conflicts.push({ index, runId: decision.runId, what });
      }
    }
    return result;
  });
}

/** A failed guard, or a constraint the decision broke (a try that already exists, an unknown run): a conflict. */
function conflictOf(dialect: Dialect, error: unknown): string | null {
  if (error instanceof GuardFailed) return error.what;
  const kind = dialect.classifyError(error);
  if (kind === "unique_violation" || kind === "foreign_key_violation") {
    return `${kind.replace(/_/g, " ")}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}

/**
 * `setBased`: gather consecutive transitions of one shape into set-based statements (apply-sets.ts).
 * `folds`: moves to `scheduled` left out, and the later moves guarded in their place (fold-moves.ts).
 */
async function applyDecision(tx: SqlTransaction, decision: Decision, setBased = false, folds: FoldedMoves | null = null): Promise<void> {
  if (decision.run !== undefined) await applyRunTransition(tx, decision.runId, decision.run, decision.nowMs);
  // A run request carried out is done with the decision, never before it (a crash would lose it) nor after
  // it (a crash would carry it out again on restart). One already finished is left as it was.
  if (decision.requestIds !== undefined) for (const id of decision.requestIds) await tx.run(FINISH_RUN_REQUEST_BY_DECISION, [decision.nowMs, id]);
  // Notifications commit with the decision that caused them (an outbox), or not at all.
  if (decision.actions.length > 0) await writeNotifications(tx, decision.runId, decision.actions, decision.nowMs);
  const { transitions } = decision;
  const marks = new MappingMarks(decision);
  const sets = setBased ? new SetWrites(tx, decision.runId, decision.nowMs) : null;
  let i = 0;
  while (i < transitions.length) {
    // Collapses and expansions are written exactly where the engine made them.
    if (marks.dueAt(i)) {
      if (sets) await sets.flush(guardFailed);
      i = await marks.apply(tx, decision, i);
      if (i >= transitions.length) break;
    }
    // Most transitions are gathered without a single await, in a synchronous loop of their own.
    if (sets) {
      i = gatherFrom(sets, tx, decision, i, marks.nextAt(transitions.length));
      if (i >= transitions.length || marks.dueAt(i)) continue;
    }
    const t = transitions[i] as InstanceTransition;
    if (folds?.skipped.has(t)) {
      i++;
      continue;
    }
    // Folds are only ever found in decisions written row by row (`sets` null), so the set writes keep t.from.
    const from = folds?.guardFrom.get(t) ?? t.from;
    const next = transitions[i + 1];
    if (next !== undefined && startsTry(t, next)) {
      // Gathered once what the stretch named of this instance is written.
      if (sets) {
        await sets.flush(guardFailed);
        sets.start(t, next.worker ?? null);
      } else await startNewTry(tx, decision.runId, t, next.worker ?? null, decision.nowMs, from);
      i += 2;
      continue;
    }
    if (sets) await sets.flush(guardFailed);
    await applyInstanceTransition(tx, decision.runId, t, decision.nowMs, from);
    i++;
  }
  if (sets) await sets.flush(guardFailed);
  await marks.applyRest(tx, decision);
}

/** A try queued and started in one decision (the dispatcher's) is written once: two statements, not four. */
function startsTry(t: InstanceTransition, next: InstanceTransition): boolean {
  return t.to === "queued" && next.to === "running" && next.from === "queued" && next.taskId === t.taskId && next.mapIndex === t.mapIndex && next.tryNumber === t.tryNumber;
}

/**
 * Gathers transitions from `from` up to `stop` (the next collapse or expansion) into `sets` while that needs no
 * write now; returns the index of the first one that does (an instance already named in the stretch, or a
 * transition written row by row), or `stop`.
 */
function gatherFrom(sets: SetWrites, tx: SqlTransaction, decision: Decision, from: number, stop: number): number {
  const { transitions, runId, nowMs } = decision;
  let i = from;
  while (i < stop) {
    const t = transitions[i] as InstanceTransition;
    const next = transitions[i + 1];
    if (next !== undefined && startsTry(t, next)) {
      if (sets.has(t)) return i;
      sets.start(t, next.worker ?? null);
      i += 2;
    } else if (gatherTransition(sets, tx, runId, t, nowMs)) i++;
    else return i;
  }
  return i;
}

/** A decision's collapses and expansions, each written where it falls among the transitions. */
class MappingMarks {
  private nextExpansion = 0;
  private nextCollapse = 0;
  private readonly expansions: readonly MapExpansion[];
  private readonly collapses: readonly MapCollapse[];

  constructor(private readonly decision: Decision) {
    this.expansions = decision.expansions ?? [];
    this.collapses = decision.collapses ?? [];
  }

  /** Whether a collapse or expansion comes before transition `i`. */
  dueAt(i: number): boolean {
    return this.nextAt(Infinity) <= i;
  }

  /** Where the next collapse or expansion falls (`end` when none is left). */
  nextAt(end: number): number {
    const collapse = this.collapses[this.nextCollapse];
    const expansion = this.expansions[this.nextExpansion];
    return Math.min(end, collapse === undefined ? Infinity : collapse.at, expansion === undefined ? Infinity : expansion.at);
  }

  /** Writes the ones due before transition `i`; returns where the transitions go on (past instances inserted scheduled). */
  async apply(tx: SqlTransaction, decision: Decision, i: number): Promise<number> {
    const { collapses, expansions } = this;
    while (this.nextCollapse < collapses.length && collapses[this.nextCollapse]!.at <= i) await collapseMappedTask(tx, decision.runId, collapses[this.nextCollapse++]!);
    while (this.nextExpansion < expansions.length && expansions[this.nextExpansion]!.at <= i) {
      const expansion = expansions[this.nextExpansion++]!;
      // Usually the same decision schedules every new instance at once: they are inserted scheduled.
      const scheduledAtOnce = allScheduledAt(decision.transitions, i, expansion);
      await expandMappedTask(tx, decision.runId, expansion, scheduledAtOnce ? "scheduled" : "pending");
      if (scheduledAtOnce) i += expansion.count;
    }
    return i;
  }

  /** The ones after the last transition. */
  async applyRest(tx: SqlTransaction, decision: Decision): Promise<void> {
    while (this.nextCollapse < this.collapses.length) await collapseMappedTask(tx, decision.runId, this.collapses[this.nextCollapse++]!);
    while (this.nextExpansion < this.expansions.length) await expandMappedTask(tx, decision.runId, this.expansions[this.nextExpansion++]!, "pending");
  }
}

const guardFailed = (what: string): GuardFailed => new GuardFailed(what);

/**
 * Gathers a transition whose writes have a set form (an instance move with no try write, or one that ends
 * its try); false, with nothing gathered, for the others (reopen, start, queue, retry), written row by row.
 */
function gatherTransition(sets: SetWrites, tx: SqlTransaction, runId: string, t: InstanceTransition, nowMs: number): boolean {
  if (t.to === "queued" || t.to === "running" || t.to === "up_for_retry") return false;
  if (isTerminalTaskState(t.from) && !isTerminalTaskState(t.to)) return false;
  if (sets.has(t)) return false;
  sets.move(t, null, isTerminalTaskState(t.to) ? nowMs : null);
  const outcome = TRY_OUTCOMES.get(t.to);
  if (outcome !== undefined && TRY_HOLDING_STATES.has(t.from)) {
    const output = t.to === "success" ? (t.output ?? null) : null;
    const error = t.error === undefined ? null : JSON.stringify(t.error);
    // Most successes have no extras (an inline output has no artifact row): no closure, no await for them.
    const extras = t.to === "success" && (t.cacheKey !== undefined || t.cached === true || isArtifactRef(output)) ? () => recordSuccessExtras(tx, runId, t, output, nowMs) : null;
    sets.endTry(t, outcome, output, error, extras);
  }
  return true;
}

/** Whether transitions[from…] begin with `pending → scheduled` of every new instance of the expansion, in order. */
function allScheduledAt(transitions: readonly InstanceTransition[], from: number, expansion: MapExpansion): boolean {
  if (from + expansion.count > transitions.length) return false;
  for (let k = 0; k < expansion.count; k++) {
    const t = transitions[from + k] as InstanceTransition;
    if (t.taskId !== expansion.taskId || t.mapIndex !== k || t.from !== "pending" || t.to !== "scheduled" || t.tryNumber !== 0) return false;
  }
  return true;
}

/** Placeholder out (guarded: still pending), instances 0…count-1 in, 500 rows a statement. */
async function expandMappedTask(tx: SqlTransaction, runId: string, expansion: MapExpansion, state: "pending" | "scheduled"): Promise<void> {
  if ((await tx.run(DELETE_PLACEHOLDER_INSTANCE, [runId, expansion.taskId])) === 0) {
    throw new GuardFailed(`instance ${expansion.taskId}: not a pending placeholder (wanted to expand it into ${expansion.count} instances)`);
  }
  for (let start = 0; start < expansion.count; start += MAPPED_INSERT_ROWS) {
    const rows = Math.min(MAPPED_INSERT_ROWS, expansion.count - start);
    const params: (string | number)[] = new Array<string | number>(rows * INSERT_MAPPED_INSTANCES_PARAMS_PER_ROW);
    for (let r = 0; r < rows; r++) {
      params[r * 4] = runId;
      params[r * 4 + 1] = expansion.taskId;
      params[r * 4 + 2] = start + r;
      params[r * 4 + 3] = state;
    }
    // Its count is not needed: batched with the decision's other writes where the dialect batches.
    await runAll(tx, [{ sql: insertMappedInstancesSql(rows), params }]);
  }
  if (expansion.tryNumber) await runCounted(tx, SET_MAPPED_TRY_NUMBER, [expansion.tryNumber, expansion.tryNumber, runId, expansion.taskId]);
  if (expansion.shape !== null) await runCounted(tx, SET_MAP_SHAPE, [expansion.shape.join(","), runId, expansion.taskId]);
}

/** Instances out (guarded: exactly `count`, all pending), placeholder in. The reverse of expandMappedTask. */
async function collapseMappedTask(tx: SqlTransaction, runId: string, collapse: MapCollapse): Promise<void> {
  const removed = await runCounted(tx, DELETE_PENDING_MAPPED_INSTANCES, [runId, collapse.taskId]);
  if (removed !== collapse.count) {
    throw new GuardFailed(`mapped task ${collapse.taskId}: ${removed} of its ${collapse.count} instances were pending (wanted to collapse it to its placeholder)`);
  }
  await tx.run(INSERT_PLACEHOLDER_INSTANCE, [runId, collapse.taskId, collapse.tryNumber, collapse.tryNumber]);
}

/** A write that changes many rows, with its true count (a batching transaction answers `run` with 1). */
async function runCounted(tx: SqlTransaction, sql: string, params: (string | number)[]): Promise<number> {
  return tx.runMany ? ((await tx.runMany([{ sql, params }]))[0] ?? 0) : tx.run(sql, params);
}

const MAPPED_INSERT_ROWS = 500;

/** `from`: the state the guard expects (t.from unless an earlier move of the batch was folded into this one). */
async function startNewTry(tx: SqlTransaction, runId: string, t: InstanceTransition, worker: string | null, nowMs: number, from = t.from): Promise<void> {
  const where = [runId, t.taskId, t.mapIndex, from, t.tryNumber - 1];
  if ((await tx.run(START_INSTANCE, ["running", t.tryNumber, null, null, nowMs, ...where])) === 0) {
    throw new GuardFailed(`instance ${instanceKey(t.taskId, t.mapIndex)}: not ${from} at try ${t.tryNumber - 1} (wanted ${from} → running)`);
  }
  await tx.run(INSERT_RUNNING_TRY, [runId, t.taskId, t.mapIndex, t.tryNumber, nowMs, nowMs, worker]);
}

async function applyRunTransition(tx: SqlTransaction, runId: string, run: RunTransition, nowMs: number): Promise<void> {
  let changed: number;
  // queued → running starts a run; an ended run → running reopens it (instances cleared): same statement.
  if (run.to === "running") changed = await tx.run(START_RUN, [nowMs, runId, run.from]);
  else if (isTerminalRunState(run.to)) changed = await tx.run(END_RUN, [run.to, nowMs, runId, run.from]);
  else changed = await tx.run(TRANSITION_RUN, [run.to, runId, run.from]);
  if (changed === 0) throw new GuardFailed(`run ${runId}: not ${run.from} (wanted ${run.from} → ${run.to})`);
}

async function applyInstanceTransition(tx: SqlTransaction, runId: string, t: InstanceTransition, nowMs: number, from = t.from): Promise<void> {
  const key = instanceKey(t.taskId, t.mapIndex);
  // A transition to queued creates try `tryNumber`: the instance must still be at the try before it.
  const expectedTry = t.to === "queued" ? t.tryNumber - 1 : t.tryNumber;
  const retryAtMs = t.to === "up_for_retry" ? (t.retryAtMs ?? null) : null;
  const endedMs = isTerminalTaskState(t.to) ? nowMs : null;
  const where = [runId, t.taskId, t.mapIndex, from, expectedTry];
  // Out of a terminal state only when a user cleared the instance: its span starts over, its tries stay.
  const reopened = isTerminalTaskState(t.from) && !isTerminalTaskState(t.to);
  const changed = reopened
    ? await tx.run(REOPEN_INSTANCE, [t.to, t.tryNumber, t.tryNumber, ...where])
    : t.to === "running"
      ? await tx.run(START_INSTANCE, [t.to, t.tryNumber, retryAtMs, endedMs, nowMs, ...where])
      : await tx.run(TRANSITION_INSTANCE, [t.to, t.tryNumber, retryAtMs, endedMs, ...where]);
  if (changed === 0) {
    throw new GuardFailed(`instance ${key}: not ${from} at try ${expectedTry} (wanted ${from} → ${t.to})`);
  }

  const tryKey = [runId, t.taskId, t.mapIndex, t.tryNumber];
  if (t.to === "queued") {
    await tx.run(QUEUE_TRY, [...tryKey, nowMs]);
    return;
  }
  if (t.to === "running" && t.from === "queued") {
    if ((await tx.run(START_TRY, [nowMs, t.worker ?? null, ...tryKey])) === 0) {
      throw new GuardFailed(`try ${key}#${t.tryNumber}: not queued (wanted queued → running)`);
    }
    return;
  }
  const outcome = TRY_OUTCOMES.get(t.to);
  if (outcome !== undefined && TRY_HOLDING_STATES.has(t.from)) {
    const output = t.to === "success" ? (t.output ?? null) : null;
    const error = t.error === undefined ? null : JSON.stringify(t.error);
    if ((await tx.run(END_TRY, [outcome, nowMs, output, error, t.startedMs ?? null, ...tryKey])) === 0) {
      throw new GuardFailed(`try ${key}#${t.tryNumber}: already ended (wanted → ${outcome})`);
    }
    if (t.to === "success") await recordSuccessExtras(tx, runId, t, output, nowMs);
  }
}

/** A success's cache key, its cached mark and its artifact reference (migration 0005), each only when present. */
async function recordSuccessExtras(tx: SqlTransaction, runId: string, t: InstanceTransition, output: string | null, nowMs: number): Promise<void> {
  if (t.cacheKey !== undefined) await tx.run(SET_TRY_CACHE_KEY, [t.cacheKey, runId, t.taskId, t.mapIndex, t.tryNumber]);
  if (t.cached) await tx.run(MARK_INSTANCE_CACHED, [runId, t.taskId, t.mapIndex]);
  if (output !== null) await recordArtifactRef(tx, runId, t.taskId, t.mapIndex, t.tryNumber, output, nowMs);
}
