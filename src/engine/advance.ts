// The engine's state machine: (snapshot, event, now) → Decision, and the one function that applies a
// decision to a snapshot. advance() is pure: it works on a copy-on-write draft, so its cost is the number
// of instances the event affects, never the size of the run.
import { WeirError } from "../common/errors.js";
import { assertNever } from "../common/assert-never.js";
import { ACTIVE_TRY_STATES, DecisionBuilder, followBranch } from "./decision-builder.js";
import { canRetry, jitterSampleFor, retryDelayMs } from "./retry-policy.js";
import { collapsibleTasks } from "./mapping.js";
import { type DraftLedger, recordCollapse, recordExpansion, recordTransition, snapshotLedger } from "./run-ledger.js";
import { isTerminalRunState, isTerminalTaskState, type TaskState } from "./states.js";
import type { Decision, EngineEvent, InstanceRef, InstanceSnapshot, InstanceTransition, MapCollapse, MapExpansion, RunSnapshot } from "./types.js";
import { instanceKey } from "./types.js";

/**
 * Decides what `event` changes in the run. Never mutates `snapshot`. Stale, duplicate or unknown events
 * (wrong try number, terminal instance or run, unknown task) give an empty decision, so delivering an
 * event twice is the same as delivering it once.
 */
export function advance(snapshot: RunSnapshot, event: EngineEvent, nowMs: number): Decision {
  return advanceAll(snapshot, [event], nowMs);
}

/**
 * Decides what a batch of events changes, applied one after another: the same as advancing through them
 * one by one, merged into one decision (an instance may appear in several of its transitions, in order).
 * The scheduler gives each run's events of one tick at once, so per-decision costs are paid once a tick.
 */
export function advanceAll(snapshot: RunSnapshot, events: readonly EngineEvent[], nowMs: number): Decision {
  const builder = new DecisionBuilder(snapshot, nowMs);
  for (let i = 0; i < events.length; i++) {
    applyEvent(builder, events[i] as EngineEvent, nowMs);
    // Each event sees the whole effect of the ones before it, run completion included.
    builder.settle();
  }
  const decision = builder.finish();
  drafts.set(decision, { draft: builder.draft, snapshot, version: versionOf(snapshot), transitions: decision.transitions.length, expansions: decision.expansions?.length ?? 0, collapses: decision.collapses?.length ?? 0 });
  return decision;
}

/**
 * The draft each decision was made on, with the snapshot version it was made over: applyDecision writes it
 * onto the snapshot instead of replaying the transitions when nothing changed in between (the usual case:
 * the scheduler applies each decision right after making it). Weak: a decision dropped takes its draft along.
 */
const drafts = new WeakMap<Decision, { draft: DraftLedger; snapshot: RunSnapshot; version: number; transitions: number; expansions: number; collapses: number }>();
/** How many decisions were applied to each snapshot: a draft made over an older version is stale. */
const versions = new WeakMap<RunSnapshot, number>();
const versionOf = (snapshot: RunSnapshot): number => versions.get(snapshot) ?? 0;

function applyEvent(builder: DecisionBuilder, event: EngineEvent, nowMs: number): void {
  const draft = builder.draft;
  if (event.kind === "run_started") {
    if (draft.state === "queued") startRun(builder);
    return;
  }
  if (event.kind === "run_cancel_requested") {
    if (!isTerminalRunState(draft.state)) cancelRun(builder, event.reason ?? "run canceled");
    return;
  }
  if (event.kind === "run_reconciled") {
    if (draft.state === "running") settleAll(builder);
    return;
  }
  if (event.kind === "run_timed_out") {
    if (draft.state === "running" || draft.state === "queued") timeOutRun(builder, event.timeoutMs);
    return;
  }
  if (event.kind === "instances_cleared") {
    // A queued run has not started: nothing in it has ended, and starting it is the scheduler's call.
    if (draft.state !== "queued") clearInstances(builder, event.keys, event.reason ?? "cleared by a user");
    return;
  }
  if (event.kind === "instance_marked") {
    if (draft.state !== "queued") markInstance(builder, event);
    return;
  }
  // Everything else concerns one instance of a running run.
  if (draft.state !== "running") return;
  const instance = builder.instance(event.taskId, event.mapIndex);
  if (!instance) return;
  const task = draft.graph.tasks.get(instance.taskId);
  if (!task) return;
  // The three events of every try's life share one `record` call: each call site of it is compiled (and
  // inlined into) separately.
  let made: InstanceTransition | null = null;
  let follow: readonly string[] | undefined;
  switch (event.kind) {
    case "try_queued":
      if (instance.state === "scheduled" && event.tryNumber === instance.tryNumber + 1) {
        made = builder.transition(instance, "queued");
        made.tryNumber = event.tryNumber;
      }
      break;
    case "try_started":
      if (instance.state === "queued" && event.tryNumber === instance.tryNumber) {
        made = builder.transition(instance, "running");
        made.worker = event.worker;
      }
      break;
    case "try_dispatched":
      // Exactly try_queued then try_started: the same two transitions, for one event's lookups.
      if (instance.state === "scheduled" && event.tryNumber === instance.tryNumber + 1) {
        const queued = builder.transition(instance, "queued");
        queued.tryNumber = event.tryNumber;
        builder.record(queued);
        const now = builder.instance(instance.taskId, instance.mapIndex);
        if (now?.state === "queued") {
          made = builder.transition(now, "running");
          made.worker = event.worker;
        }
      }
      break;
    case "try_succeeded":
      if (isActiveTry(instance, event.tryNumber)) {
        made = builder.transition(instance, "success");
        made.output = event.output;
        made.startedMs = event.startedMs;
        made.mapLength = event.mapLength;
        made.cacheKey = event.cacheKey;
        if (event.cached) made.cached = true;
        if (task.branch && event.follow !== undefined) follow = event.follow;
      }
      break;
    case "try_failed":
      if (isActiveTry(instance, event.tryNumber)) {
        // Tries before the last clear don't count: a cleared instance has its whole retry budget again.
        const counted = event.tryNumber - instance.retryBase;
        if (canRetry(task.retry, counted, event.error, instance.lostTries)) {
          // A lost try goes again at once; a failed one after the policy's delay (counting only its own failures).
          const jitter = jitterSampleFor(builder.decision.runId, instance.taskId, instance.mapIndex, event.tryNumber);
          const retryAtMs = event.error.kind === "lost" ? nowMs : nowMs + retryDelayMs(task.retry, counted - instance.lostTries, jitter);
          builder.move(instance, "up_for_retry", { error: event.error, retryAtMs, ...startedAt(event) });
          builder.decision.timers.push(retryTimer(instance, retryAtMs));
        } else {
          builder.move(instance, "failed", { error: event.error, ...startedAt(event) });
        }
      }
      break;
    case "try_skipped":
      if (isActiveTry(instance, event.tryNumber)) {
        builder.move(instance, "skipped", { reason: event.reason ?? "the task asked to be skipped", ...startedAt(event) });
      }
      break;
    case "retry_due":
      if (instance.state === "up_for_retry") {
        // Timers may fire early (clock skew, a restarted scheduler): re-arm instead of retrying early.
        if (instance.retryAtMs !== null && nowMs < instance.retryAtMs) {
          builder.decision.timers.push(retryTimer(instance, instance.retryAtMs));
        } else {
          builder.schedule(instance, task, true);
        }
      }
      break;
    case "sensor_poked":
      if (instance.state === "running" && event.tryNumber === instance.tryNumber) builder.move(instance, "deferred");
      break;
    default:
      assertNever(event, "engine event");
  }
  if (made !== null) builder.record(made);
  // A branch's choice is followed once its own success is recorded.
  if (follow !== undefined) followBranch(builder, task, follow);
}

function isActiveTry(instance: InstanceSnapshot, tryNumber: number): boolean {
  return ACTIVE_TRY_STATES.has(instance.state) && instance.tryNumber === tryNumber;
}

function retryTimer(instance: InstanceSnapshot, atMs: number): Decision["timers"][number] {
  return { atMs, event: { kind: "retry_due", taskId: instance.taskId, mapIndex: instance.mapIndex } };
}

/** O(instances), once per run: roots and `always` tasks are scheduled, and anything already decided moves. */
function startRun(builder: DecisionBuilder): void {
  builder.draft.state = "running";
  settleAll(builder);
}

function settleAll(builder: DecisionBuilder): void {
  for (const key of builder.snapshotKeys()) {
    const instance = builder.draft.instance(key);
    if (instance) builder.settlePending(instance);
  }
}

/** States a user may clear: every terminal one except removed (the task is not in the run's version). */
const CLEARABLE_STATES: ReadonlySet<TaskState> = new Set<TaskState>(["success", "failed", "skipped", "upstream_failed", "canceled"]);

/**
 * Every listed instance that ended goes back to pending with its try number kept (the next try is a new
 * one), the downstream counts follow (recordTransition), and the run runs again if it had ended. Then each
 * cleared instance is re-evaluated by its trigger rule, so a root is scheduled at once. O(cleared + their
 * out-degrees).
 */
function clearInstances(builder: DecisionBuilder, keys: readonly InstanceRef[], reason: string): void {
  const cleared: InstanceSnapshot[] = [];
  for (const { taskId, mapIndex } of keys) {
    const instance = builder.instance(taskId, mapIndex);
    // Listed twice: the first mention cleared it, so it is no longer in a clearable state.
    if (!instance || !CLEARABLE_STATES.has(instance.state) || !builder.draft.graph.tasks.has(taskId)) continue;
    builder.move(instance, "pending", { reason });
    const moved = builder.instance(taskId, mapIndex);
    if (moved) cleared.push(moved);
  }
  if (cleared.length === 0) return;
  if (isTerminalRunState(builder.draft.state)) builder.draft.state = "running";
  cleared.push(...collapseMapped(builder, cleared));
  // Only after every listed instance is pending, so the order of `keys` doesn't matter: a cleared instance
  // whose upstream was cleared too waits for it; one that settles at once is propagated by settle().
  for (const instance of cleared) {
    const current = builder.instance(instance.taskId, instance.mapIndex);
    if (current) builder.settlePending(current);
  }
}

/**
 * A mapped task whose source was cleared and whose instances are all pending (cleared with it) goes back to
 * its placeholder, so it expands again — to the new length — when the source succeeds again (Airflow
 * re-expands a cleared mapped task the same way), and so do the tasks mapped over it (their instances are
 * paired with its). Returns the placeholders, to be settled with the other cleared instances.
 */
function collapseMapped(builder: DecisionBuilder, cleared: readonly InstanceSnapshot[]): InstanceSnapshot[] {
  const draft = builder.draft;
  const order = collapsibleTasks(draft.graph, draft, new Set(cleared.map((i) => i.taskId)));
  const placeholders: InstanceSnapshot[] = [];
  for (const taskId of order) {
    const count = draft.expansion(taskId)?.count ?? 0;
    let tryNumber = 0;
    for (let i = 0; i < count; i++) tryNumber = Math.max(tryNumber, draft.instance(instanceKey(taskId, i))?.tryNumber ?? 0);
    const collapse: MapCollapse = { taskId, count, tryNumber, at: builder.decision.transitions.length };
    if (!recordCollapse(draft, collapse)) continue;
    (builder.decision.collapses ??= []).push(collapse);
    const placeholder = draft.instance(taskId);
    if (placeholder) placeholders.push(placeholder);
  }
  return placeholders;
}

/** See the `instance_marked` event. Removed instances, unknown keys and the same state are left alone. */
function markInstance(builder: DecisionBuilder, event: Extract<EngineEvent, { kind: "instance_marked" }>): void {
  const instance = builder.instance(event.taskId, event.mapIndex);
  if (!instance || instance.state === event.state || instance.state === "removed" || !builder.draft.graph.tasks.has(event.taskId)) return;
  const reason = event.reason ?? `marked ${event.state} by a user`;
  if (ACTIVE_TRY_STATES.has(instance.state)) {
    const { taskId, mapIndex, tryNumber } = instance;
    builder.decision.actions.push({ kind: "cancel_try", taskId, mapIndex, tryNumber, reason });
  }
  const error = event.state === "failed" ? { name: "MarkedFailedError", message: reason, retryable: false, kind: "canceled" as const } : undefined;
  builder.move(instance, event.state, error === undefined ? { reason } : { reason, error });
  const draft = builder.draft;
  // A run that had ended is judged again once its instances have (settle() judges running runs).
  if ((draft.state === "success" || draft.state === "failed") && draft.unfinished === 0) draft.state = draft.failed > 0 ? "failed" : "success";
}

function timeOutRun(builder: DecisionBuilder, timeoutMs: number): void {
  const message = `the run did not finish within its timeout (${timeoutMs} ms)`;
  const error = { name: "RunTimeoutError", message, retryable: false, kind: "timeout" as const };
  for (const key of builder.snapshotKeys()) {
    const instance = builder.draft.instance(key);
    if (!instance || isTerminalTaskState(instance.state)) continue;
    if (ACTIVE_TRY_STATES.has(instance.state)) {
      builder.decision.actions.push({ kind: "cancel_try", taskId: instance.taskId, mapIndex: instance.mapIndex, tryNumber: instance.tryNumber, reason: message });
      builder.move(instance, "failed", { error });
    } else {
      builder.move(instance, "skipped", { reason: message });
    }
  }
  // Every instance ended; a run whose tasks were all skipped or succeeded still failed: it ran out of time.
  builder.draft.state = "failed";
}

function cancelRun(builder: DecisionBuilder, reason: string): void {
  builder.draft.state = "canceled";
  for (const key of builder.snapshotKeys()) {
    const instance = builder.draft.instance(key);
    if (!instance || isTerminalTaskState(instance.state)) continue;
    if (ACTIVE_TRY_STATES.has(instance.state)) {
      builder.decision.actions.push({
        kind: "cancel_try",
        taskId: instance.taskId,
        mapIndex: instance.mapIndex,
        tryNumber: instance.tryNumber,
        reason,
      });
    }
    builder.move(instance, "canceled", { reason });
  }
}

/**
 * Applies a decision made by `advance` on this snapshot: the only function that mutates a snapshot.
 * Each transition is guarded by its from-state, as in the store. A decision applied right after it was made,
 * to the snapshot it was made over, costs O(instances it changed): its draft is written over (no replay).
 */
export function applyDecision(snapshot: RunSnapshot, decision: Decision): void {
  if (decision.runId !== snapshot.runId) {
    throw new WeirError("engine_run_mismatch", `decision for run ${decision.runId} applied to run ${snapshot.runId}`, {
      input: false,
      where: { run: snapshot.runId },
    });
  }
  const made = drafts.get(decision);
  drafts.delete(decision);
  versions.set(snapshot, versionOf(snapshot) + 1);
  // The decision as advance() returned it, over this snapshot as it was then: its draft is the result.
  if (made !== undefined && made.snapshot === snapshot && made.version + 1 === versionOf(snapshot) && made.transitions === decision.transitions.length && made.expansions === (decision.expansions?.length ?? 0) && made.collapses === (decision.collapses?.length ?? 0)) {
    made.draft.commitTo(snapshot);
    return;
  }
  const ledger = snapshotLedger(snapshot);
  const expansions = decision.expansions ?? [];
  const collapses = decision.collapses ?? [];
  let next = 0;
  let nextCollapse = 0;
  // Expansions and collapses are applied exactly between the transitions they came between in advance()
  // (collapses first: a clear makes them before anything it settles can expand).
  for (let i = 0; i <= decision.transitions.length; i++) {
    while (nextCollapse < collapses.length && (collapses[nextCollapse] as MapCollapse).at <= i) recordCollapse(ledger, collapses[nextCollapse++] as MapCollapse);
    while (next < expansions.length && (expansions[next] as MapExpansion).at <= i) recordExpansion(ledger, expansions[next++] as MapExpansion);
    if (i < decision.transitions.length) recordTransition(ledger, decision.transitions[i] as InstanceTransition);
  }
  if (decision.run && snapshot.state === decision.run.from) snapshot.state = decision.run.to;
}

/** When the worker really started the try (it may have waited behind a quick one), if it says. */
function startedAt(event: { startedMs?: number }): { startedMs?: number } {
  return event.startedMs === undefined ? {} : { startedMs: event.startedMs };
}
