// The engine's state machine: (snapshot, event, now) → Decision, and the one function that applies a
// decision to a snapshot. advance() is pure: it works on a copy-on-write draft, so its cost is the number
// of instances the event affects, never the size of the run.
import { WeirError } from "../common/errors.js";
import { assertNever } from "../common/assert-never.js";
import { downstreamInstanceKeys } from "./instance-edges.js";
import { canRetry, jitterSampleFor, retryDelayMs } from "./retry-policy.js";
import { DraftLedger, recordTransition, snapshotLedger } from "./run-ledger.js";
import { isTerminalRunState, isTerminalTaskState, type TaskState, type TriggerRule } from "./states.js";
import { evaluateTriggerRule } from "./trigger-rules.js";
import type { Decision, EngineAction, EngineEvent, InstanceRef, InstanceSnapshot, InstanceTransition, RunSnapshot, UpstreamCounts } from "./types.js";
import { instanceKey } from "./types.js";

/** States in which a try exists and may still report: its end events are accepted from any of them. */
const ACTIVE_TRY_STATES: ReadonlySet<TaskState> = new Set<TaskState>(["queued", "running", "deferred"]);

type TransitionDetails = Partial<Pick<InstanceTransition, "retryAtMs" | "output" | "error" | "reason" | "worker" | "tryNumber" | "startedMs">>;

/** Collects one decision: every transition is recorded on the draft as it is made. */
class DecisionBuilder {
  readonly decision: Decision;
  readonly draft: DraftLedger;
  /** Instances that became terminal and whose downstream have not been looked at yet. */
  private readonly settled: InstanceSnapshot[] = [];

  constructor(
    private readonly snapshot: RunSnapshot,
    nowMs: number,
  ) {
    this.draft = new DraftLedger(snapshot);
    this.decision = { runId: snapshot.runId, nowMs, transitions: [], actions: [], timers: [] };
  }

  /** Keys of every instance of the run, for the run-wide events (start, cancel). */
  snapshotKeys(): string[] {
    return [...this.snapshot.instances.keys()];
  }

  instance(taskId: string, mapIndex: number): InstanceSnapshot | undefined {
    return this.draft.instance(instanceKey(taskId, mapIndex));
  }

  move(instance: InstanceSnapshot, to: TaskState, details: TransitionDetails = {}): void {
    const transition: InstanceTransition = {
      taskId: instance.taskId,
      mapIndex: instance.mapIndex,
      from: instance.state,
      to,
      tryNumber: details.tryNumber ?? instance.tryNumber,
    };
    if (details.retryAtMs !== undefined) transition.retryAtMs = details.retryAtMs;
    if (details.output !== undefined) transition.output = details.output;
    if (details.error !== undefined) transition.error = details.error;
    if (details.reason !== undefined) transition.reason = details.reason;
    if (details.worker !== undefined) transition.worker = details.worker;
    if (details.startedMs !== undefined) transition.startedMs = details.startedMs;
    recordTransition(this.draft, transition);
    this.decision.transitions.push(transition);
    this.alert(transition);
    if (isTerminalTaskState(to)) {
      const moved = this.draft.instance(instanceKey(instance.taskId, instance.mapIndex));
      if (moved) this.settled.push(moved);
    }
  }

  /** Moves a pending instance on if its trigger rule has decided; a no-op while the rule says wait. */
  settlePending(instance: InstanceSnapshot): void {
    if (instance.state !== "pending") return;
    const task = this.draft.graph.tasks.get(instance.taskId);
    if (!task) return;
    const outcome = evaluateTriggerRule(task.trigger, instance.counts);
    switch (outcome) {
      case "wait":
        return;
      case "run":
        this.move(instance, "scheduled");
        return;
      case "skip":
        this.move(instance, "skipped", { reason: `trigger rule ${task.trigger} can no longer be met: ${skipCause(task.trigger, instance.counts)} (${describeCounts(instance.counts)})` });
        return;
      case "upstream_failed":
        this.move(instance, "upstream_failed", { reason: `trigger rule ${task.trigger} can no longer be met: upstream failed (${describeCounts(instance.counts)})` });
        return;
      default:
        assertNever(outcome, "trigger outcome");
    }
  }

  /**
   * Re-evaluates the pending downstream of every instance that became terminal, and of those in turn.
   * A work list, not recursion: a 100k-long chain failing at its root must not overflow the stack.
   */
  propagate(): void {
    for (let next = this.settled.pop(); next; next = this.settled.pop()) {
      for (const key of downstreamInstanceKeys(this.draft.graph, next.taskId, next.mapIndex)) {
        const down = this.draft.instance(key);
        if (down) this.settlePending(down);
      }
    }
  }

  /** Outcomes of tries that the task's notifiers want to hear about become notify actions. */
  private alert(t: InstanceTransition): void {
    if (!ACTIVE_TRY_STATES.has(t.from)) return;
    const alerts = this.draft.graph.tasks.get(t.taskId)?.alerts;
    if (!alerts) return;
    const [event, notifiers] =
      t.to === "failed" ? (["task_failed", alerts.onFailure] as const) : t.to === "up_for_retry" ? (["task_retry", alerts.onRetry] as const) : t.to === "success" ? (["task_success", alerts.onSuccess] as const) : ([null, []] as const);
    if (event === null || notifiers.length === 0) return;
    const action: EngineAction = { kind: "notify", event, notifiers, taskId: t.taskId, mapIndex: t.mapIndex, tryNumber: t.tryNumber };
    if (t.error) action.error = { name: t.error.name, message: t.error.message };
    this.decision.actions.push(action);
  }

  /** Propagates what the last event settled and ends the run when nothing is left unfinished. */
  settle(): void {
    this.propagate();
    const draft = this.draft;
    if (draft.state === "running" && draft.unfinished === 0) draft.state = draft.failed > 0 ? "failed" : "success";
  }

  finish(): Decision {
    this.settle();
    const draft = this.draft;
    if (draft.state !== this.snapshot.state) {
      this.decision.run = { from: this.snapshot.state, to: draft.state };
      const { runAlerts } = draft.graph;
      const notifiers = draft.state === "failed" ? runAlerts.onFailure : draft.state === "success" ? runAlerts.onSuccess : [];
      if (notifiers.length > 0) this.decision.actions.push({ kind: "notify", event: draft.state === "failed" ? "run_failed" : "run_success", notifiers });
    }
    return this.decision;
  }
}

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
  for (const event of events) {
    applyEvent(builder, event, nowMs);
    // Each event sees the whole effect of the ones before it, run completion included.
    builder.settle();
  }
  return builder.finish();
}

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
  // Everything else concerns one instance of a running run.
  if (draft.state !== "running") return;
  const instance = builder.instance(event.taskId, event.mapIndex);
  if (!instance) return;
  const task = draft.graph.tasks.get(instance.taskId);
  if (!task) return;
  switch (event.kind) {
    case "try_queued":
      if (instance.state === "scheduled" && event.tryNumber === instance.tryNumber + 1) {
        builder.move(instance, "queued", { tryNumber: event.tryNumber });
      }
      break;
    case "try_started":
      if (instance.state === "queued" && event.tryNumber === instance.tryNumber) {
        builder.move(instance, "running", event.worker === undefined ? {} : { worker: event.worker });
      }
      break;
    case "try_succeeded":
      if (isActiveTry(instance, event.tryNumber)) {
        builder.move(instance, "success", { ...(event.output === undefined ? {} : { output: event.output }), ...startedAt(event) });
      }
      break;
    case "try_failed":
      if (isActiveTry(instance, event.tryNumber)) {
        if (canRetry(task.retry, event.tryNumber, event.error, instance.lostTries)) {
          // A lost try goes again at once; a failed one after the policy's delay (counting only its own failures).
          const jitter = jitterSampleFor(builder.decision.runId, instance.taskId, instance.mapIndex, event.tryNumber);
          const retryAtMs = event.error.kind === "lost" ? nowMs : nowMs + retryDelayMs(task.retry, event.tryNumber - instance.lostTries, jitter);
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
          builder.move(instance, "scheduled");
        }
      }
      break;
    default:
      assertNever(event, "engine event");
  }
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
  // Only after every listed instance is pending, so the order of `keys` doesn't matter: a cleared instance
  // whose upstream was cleared too waits for it; one that settles at once is propagated by settle().
  for (const instance of cleared) {
    const current = builder.instance(instance.taskId, instance.mapIndex);
    if (current) builder.settlePending(current);
  }
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
 * Each transition is guarded by its from-state, as in the store.
 */
export function applyDecision(snapshot: RunSnapshot, decision: Decision): void {
  if (decision.runId !== snapshot.runId) {
    throw new WeirError("engine_run_mismatch", `decision for run ${decision.runId} applied to run ${snapshot.runId}`, {
      input: false,
      where: { run: snapshot.runId },
    });
  }
  const ledger = snapshotLedger(snapshot);
  for (const transition of decision.transitions) recordTransition(ledger, transition);
  if (decision.run && snapshot.state === decision.run.from) snapshot.state = decision.run.to;
}

/** Why a rule skips, in the rule's own terms: only "upstream skipped" when one was. */
function skipCause(rule: TriggerRule, counts: UpstreamCounts): string {
  switch (rule) {
    case "all_failed":
      return "an upstream did not fail";
    case "all_skipped":
      return "an upstream ran";
    case "one_failed":
      return "no upstream failed";
    case "one_done":
      return "no upstream succeeded or failed";
    default:
      return counts.skipped > 0 ? "upstream skipped" : "no upstream succeeded";
  }
}

/** The upstream outcomes behind a skip or upstream_failed, e.g. "upstream: 2 success, 1 failed". */
function describeCounts(counts: UpstreamCounts): string {
  const parts: string[] = [];
  if (counts.success) parts.push(`${counts.success} success`);
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.upstreamFailed) parts.push(`${counts.upstreamFailed} upstream_failed`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.removed) parts.push(`${counts.removed} removed or canceled`);
  return `upstream: ${parts.join(", ") || "none done"}`;
}

/** When the worker really started the try (it may have waited behind a quick one), if it says. */
function startedAt(event: { startedMs?: number }): { startedMs?: number } {
  return event.startedMs === undefined ? {} : { startedMs: event.startedMs };
}
