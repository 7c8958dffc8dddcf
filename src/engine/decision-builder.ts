// One decision being built: every transition is recorded on a copy-on-write draft as it is made, pending
// instances are settled by their trigger rules (or expanded, for a mapped task's placeholder), and what
// became terminal is propagated downstream. advance.ts feeds it events; this file is how it reacts.
import { assertNever } from "../common/assert-never.js";
import { downstreamInstanceKeys, instanceKeysOf } from "./instance-edges.js";
import { checkExpansion, planExpansion } from "./mapping.js";
import { DraftLedger, recordExpansion, recordScheduled, recordTransition } from "./run-ledger.js";
import { isTerminalTaskState, type TaskState, type TriggerRule } from "./states.js";
import { evaluateTriggerRule } from "./trigger-rules.js";
import type { Decision, EngineAction, EngineTask, InstanceSnapshot, InstanceTransition, MapExpansion, RunSnapshot, UpstreamCounts } from "./types.js";
import { instanceKey } from "./types.js";

/** States in which a try exists and may still report: its end events are accepted from each of them. */
export const ACTIVE_TRY_STATES: ReadonlySet<TaskState> = new Set<TaskState>(["queued", "running", "deferred"]);

/** What a plain move carries besides its states (tries' queued/started/succeeded transitions are built directly). */
export type TransitionDetails = Partial<Pick<InstanceTransition, "retryAtMs" | "error" | "reason" | "startedMs">>;

/** A move without details (most moves): no object allocated per move, and none of its fields looked at. */
const NO_DETAILS: TransitionDetails = Object.freeze({});

function addDetails(transition: InstanceTransition, details: TransitionDetails): void {
  if (details.retryAtMs !== undefined) transition.retryAtMs = details.retryAtMs;
  if (details.error !== undefined) transition.error = details.error;
  if (details.reason !== undefined) transition.reason = details.reason;
  if (details.startedMs !== undefined) transition.startedMs = details.startedMs;
}

/** Collects one decision: every transition is recorded on the draft as it is made. */
export class DecisionBuilder {
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

  /** Keys of every instance of the run as this decision has it so far, for the run-wide events (start, cancel). */
  snapshotKeys(): string[] {
    return this.draft.keys();
  }

  instance(taskId: string, mapIndex: number): InstanceSnapshot | undefined {
    return this.draft.instance(instanceKey(taskId, mapIndex));
  }

  move(instance: InstanceSnapshot, to: TaskState, details: TransitionDetails = NO_DETAILS): void {
    const transition = this.transition(instance, to);
    if (details !== NO_DETAILS) addDetails(transition, details);
    this.record(transition);
  }

  /**
   * The instance's move to `to`, not recorded yet: the hot paths (a try queued, started, succeeded) set its
   * details on it directly and then `record` it, instead of passing a details object whose shape varies with
   * the caller (each new shape seen by optimized code deoptimizes `move` and everything it was inlined into).
   */
  transition(instance: InstanceSnapshot, to: TaskState): InstanceTransition {
    // Every field present from the start, in one order: all transitions share one hidden class, so the code
    // that reads them (here, the ledger, the store's writes) stays monomorphic.
    return {
      taskId: instance.taskId,
      mapIndex: instance.mapIndex,
      from: instance.state,
      to,
      tryNumber: instance.tryNumber,
      retryAtMs: undefined,
      output: undefined,
      error: undefined,
      reason: undefined,
      worker: undefined,
      startedMs: undefined,
      mapLength: undefined,
      cacheKey: undefined,
      cached: undefined,
    };
  }

  /** Records a transition made by `transition` (with its details set) on the draft and in the decision. */
  record(transition: InstanceTransition): void {
    recordTransition(this.draft, transition);
    this.decision.transitions.push(transition);
    this.alert(transition);
    if (isTerminalTaskState(transition.to)) {
      const moved = this.draft.instance(instanceKey(transition.taskId, transition.mapIndex));
      if (moved) this.settled.push(moved);
    }
  }

  /** Moves a pending instance on if its trigger rule has decided; a no-op while the rule says wait. */
  settlePending(instance: InstanceSnapshot): void {
    if (instance.state !== "pending") return;
    const task = this.draft.graph.tasks.get(instance.taskId);
    if (!task) return;
    const outcome = evaluateTriggerRule(task.trigger, instance.counts);
    // A mapped task's placeholder is never scheduled: once its arrays' lengths are known it is expanded.
    if (task.mapping && instance.mapIndex === -1 && (outcome === "run" || outcome === "wait")) {
      this.settlePlaceholder(instance, task, outcome === "run");
      return;
    }
    switch (outcome) {
      case "wait":
        return;
      case "run":
        this.schedule(instance, task);
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
   * Schedules an instance whose trigger rule (or retry, `retrying`) lets it run. A mapped task's instance whose
   * expansion was kept through a clear fails instead when its source's length changed, and waits (pending)
   * while that source has no length yet, unless it is a retry of a try already under way then (checkExpansion).
   */
  schedule(instance: InstanceSnapshot, task: EngineTask, retrying = false): void {
    const check = task.mapping && instance.mapIndex >= 0 ? checkExpansion(task, this.draft, (id) => this.draft.graph.tasks.get(id)?.mapping != null) : null;
    if (check?.kind === "stale") this.move(instance, "failed", { reason: check.message, error: { name: "MapExpansionError", message: check.message, retryable: false, kind: "error" } });
    else if (check?.kind !== "wait" || retrying) {
      // What `move` does, for a move from a state that holds no try into a non-terminal one: no alert, nothing settled.
      const scheduled = this.transition(instance, "scheduled");
      recordScheduled(this.draft, scheduled);
      this.decision.transitions.push(scheduled);
    }
  }

  private settlePlaceholder(placeholder: InstanceSnapshot, task: EngineTask, triggerSaysRun: boolean): void {
    const graph = this.draft.graph;
    const plan = planExpansion(task, this.draft, triggerSaysRun, (id) => graph.tasks.get(id)?.mapping != null);
    switch (plan.kind) {
      case "wait":
        return;
      case "skip":
        this.move(placeholder, "skipped", { reason: plan.reason });
        return;
      case "fail":
        this.move(placeholder, "failed", { reason: plan.message, error: { name: "MapExpansionError", message: plan.message, retryable: false, kind: "error" } });
        return;
      case "expand": {
        const expansion: MapExpansion = { taskId: task.id, count: plan.count, shape: plan.shape, at: this.decision.transitions.length };
        // After a collapse the placeholder is at the try its old instances reached: the new ones count on from it.
        if (placeholder.tryNumber > 0) expansion.tryNumber = placeholder.tryNumber;
        if (!recordExpansion(this.draft, expansion)) return;
        (this.decision.expansions ??= []).push(expansion);
        for (let i = 0; i < plan.count; i++) {
          const created = this.draft.instance(instanceKey(task.id, i));
          if (created) this.settlePending(created);
        }
        // Tasks mapped over this one now know their length too.
        for (const down of graph.downstream.get(task.id) ?? []) {
          if (!graph.tasks.get(down)?.mapping?.sources.includes(task.id)) continue;
          const waiting = this.draft.instance(down);
          if (waiting) this.settlePending(waiting);
        }
        return;
      }
      default:
        assertNever(plan, "expansion plan");
    }
  }

  /** Skips every pending instance of a task (a branch not taken, a short-circuit). */
  skipTask(taskId: string, reason: string): void {
    for (const key of instanceKeysOf(this.draft, taskId)) {
      const instance = this.draft.instance(key);
      if (instance?.state === "pending") this.move(instance, "skipped", { reason });
    }
  }

  /**
   * Re-evaluates the pending downstream of every instance that became terminal, and of those in turn.
   * A work list, not recursion: a 100k-long chain failing at its root must not overflow the stack.
   */
  propagate(): void {
    for (let next = this.settled.pop(); next; next = this.settled.pop()) {
      const keys = downstreamInstanceKeys(this.draft.graph, this.draft, next.taskId, next.mapIndex);
      for (let i = 0; i < keys.length; i++) {
        const down = this.draft.instance(keys[i] as string);
        if (down) this.settlePending(down);
      }
    }
  }

  /** Outcomes of tries that the task's notifiers want to hear about become notify actions. */
  private alert(t: InstanceTransition): void {
    // The event first: most transitions (a try queued or started, an instance scheduled) have none, and cost
    // no lookup then. No [event, notifiers] destructuring: V8 compiles one into the whole iterator protocol.
    const event = t.to === "failed" ? "task_failed" : t.to === "up_for_retry" ? "task_retry" : t.to === "success" ? "task_success" : null;
    if (event === null || !ACTIVE_TRY_STATES.has(t.from)) return;
    const alerts = this.draft.graph.tasks.get(t.taskId)?.alerts;
    if (!alerts) return;
    const notifiers = event === "task_failed" ? alerts.onFailure : event === "task_retry" ? alerts.onRetry : alerts.onSuccess;
    if (notifiers.length === 0) return;
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
 * A branch's try succeeded: the direct downstream tasks it did not choose are skipped (their downstream then
 * follow their trigger rules). A short-circuit that chose none skips everything downstream of it, whatever
 * the trigger rules (Airflow's ShortCircuitOperator default).
 */
export function followBranch(builder: DecisionBuilder, task: EngineTask, follow: readonly string[]): void {
  const graph = builder.draft.graph;
  const direct = graph.downstream.get(task.id) ?? [];
  if (task.branch === "short_circuit") {
    if (follow.length > 0) return;
    const reason = `short-circuit ${task.id} returned false`;
    const seen = new Set<string>();
    const work = [...direct];
    for (let id = work.pop(); id !== undefined; id = work.pop()) {
      if (seen.has(id)) continue;
      seen.add(id);
      builder.skipTask(id, reason);
      work.push(...(graph.downstream.get(id) ?? []));
    }
    return;
  }
  const chosen = new Set(follow);
  const reason = `branch ${task.id} followed ${follow.length > 0 ? follow.join(", ") : "no task"}`;
  for (const id of direct) if (!chosen.has(id)) builder.skipTask(id, reason);
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

