// `weir clear <run-id> [--task t]… [--downstream] [--failed-only]`: task instances that ended run again.
// Each cleared instance goes back to pending (its next try is a new one; earlier tries and their logs stay
// as history), and a run that had ended runs again. The engine decides (`instances_cleared` on a snapshot
// built from the store, as a scheduler would); the decision is committed with the store's usual guards,
// so a run that changed meanwhile is a conflict and nothing is written.
import { WeirError } from "../../common/errors.js";
import { advance, applyDecision, compileEngineGraph, createRunSnapshot } from "../../engine/index.js";
import { isTerminalRunState, isTerminalTaskState, type TaskState } from "../../engine/states.js";
import { instanceKey, isEmptyDecision } from "../../engine/types.js";
import { downstreamOf } from "../../graph/graph-order.js";
import { systemClock } from "../../scheduler/clock.js";
import { isOwnerAlive } from "../../scheduler/owner.js";
import { toRunDocument } from "../../store/run-document.js";
import type { Store, TaskInstanceRecord } from "../../store/types.js";
import { out, printJson, say } from "../output.js";
import { withStore } from "../store-access.js";

export interface ClearOptions {
  task: string[];
  downstream?: boolean;
  failedOnly?: boolean;
  json?: boolean;
}

/** What a user may clear: every ended state except removed (the task is gone from the run's version). */
const CLEARABLE: ReadonlySet<TaskState> = new Set<TaskState>(["success", "failed", "skipped", "upstream_failed", "canceled"]);
/** What --failed-only keeps. */
const FAILED: ReadonlySet<TaskState> = new Set<TaskState>(["failed", "upstream_failed", "canceled"]);
/** States in which a try is under way or about to be retried: never cleared, and an error when named. */
const IN_FLIGHT: ReadonlySet<TaskState> = new Set<TaskState>(["queued", "running", "deferred", "up_for_retry"]);

const SCHEDULER_LEASE = "scheduler";

export async function clearCommand(runId: string, options: ClearOptions): Promise<void> {
  await withStore(`no run with id "${runId}"`, async (store, home) => {
    const where = { run: runId };
    const run = await store.getRun(runId);
    if (!run) throw new WeirError("run_not_found", `no run with id "${runId}" in ${home}`, { where });
    const graph = await store.getPipelineVersion(run.pipelineId, run.version);
    if (!graph) throw new WeirError("pipeline_version_missing", `the pipeline version of run ${run.id} is not in the store`, { input: false, where });

    const named = [...new Set(options.task)];
    for (const task of named) {
      if (!graph.tasks.some((t) => t.id === task)) {
        throw new WeirError("task_unknown", `run ${run.id} of ${run.pipelineId} has no task "${task}"`, { where: { run: run.id, task } });
      }
    }
    if (run.state === "queued") throw new WeirError("run_not_started", `run ${run.id} has not started yet: nothing in it has ended to clear`, { where });

    const nowMs = systemClock.now();
    const scheduler = await liveScheduler(store, nowMs);
    if (!isTerminalRunState(run.state)) {
      // Whoever drives the run holds it in memory: writing under it would race its decisions.
      if (run.owner !== null && isOwnerAlive(run.owner)) {
        throw new WeirError("run_driven", `run ${run.id} is still running, driven by \`weir run\` (${run.owner}): clear it once it has ended`, { where });
      }
      if (scheduler !== null) {
        throw new WeirError("run_driven", `run ${run.id} is still running, driven by the scheduler (${scheduler}): clear it once it has ended`, { where });
      }
    }

    const instances = await store.listTaskInstances(run.id);
    const rank = new Map(graph.order.map((id, i) => [id, i]));
    instances.sort((a, b) => (rank.get(a.taskId) ?? 0) - (rank.get(b.taskId) ?? 0) || a.mapIndex - b.mapIndex);

    // Which tasks: the named ones (all when none), plus everything downstream of them with --downstream.
    const tasks = new Set(named.length > 0 ? named : graph.order);
    if (options.downstream) for (const task of named) for (const down of downstreamOf(graph, task, true)) tasks.add(down);
    const selected = instances.filter((i) => tasks.has(i.taskId));

    for (const i of selected) {
      if (named.includes(i.taskId) && IN_FLIGHT.has(i.state)) {
        const id = instanceKey(i.taskId, i.mapIndex);
        throw new WeirError("task_not_ended", `task ${id} of run ${run.id} is ${i.state} (try ${i.tryNumber}): only task instances that have ended can be cleared`, { where: { run: run.id, task: i.taskId } });
      }
    }
    const toClear = selected.filter((i) => CLEARABLE.has(i.state) && (!options.failedOnly || FAILED.has(i.state)));
    if (toClear.length === 0) {
      const what = options.failedOnly ? "failed, upstream_failed or canceled task instance" : "task instance that has ended";
      const among = named.length === 0 ? "" : ` among ${named.join(", ")}${options.downstream ? " and their downstream" : ""}`;
      throw new WeirError("nothing_to_clear", `nothing to clear in run ${run.id}: no ${what}${among}`, { where });
    }

    const snapshot = createRunSnapshot(run.id, run.state, compileEngineGraph(graph), instances);
    const keys = toClear.map((i) => ({ taskId: i.taskId, mapIndex: i.mapIndex }));
    const decision = advance(snapshot, { kind: "instances_cleared", keys }, nowMs);
    if (isEmptyDecision(decision)) throw new WeirError("nothing_to_clear", `nothing to clear in run ${run.id}`, { where });
    const result = await store.applyDecisions([decision]);
    if (result.conflicts.length > 0) {
      throw new WeirError("run_changed", `run ${run.id} changed meanwhile (${result.conflicts[0]?.what}); nothing was cleared: try again`, { input: false, where });
    }
    applyDecision(snapshot, decision);

    const after = await store.getRun(run.id);
    const rows = await store.listTaskInstances(run.id);
    if (options.json) {
      if (after) printJson(toRunDocument(after, rows, graph.order));
    } else {
      for (const line of describeCleared(toClear, rows)) out(line);
    }
    const left = selected.filter((i) => IN_FLIGHT.has(i.state)).map((i) => `${instanceKey(i.taskId, i.mapIndex)} (${i.state})`);
    if (left.length > 0) say(`weir: left as they are, not ended: ${left.join(", ")}`);
    say(`weir: ${toClear.length} task instance${toClear.length === 1 ? "" : "s"} of run ${run.id} cleared; the run is ${snapshot.state}`);
    if (snapshot.state === "running") {
      say(
        scheduler !== null
          ? `weir: the scheduler running against this store (${scheduler}) takes the run over`
          : `weir: no scheduler is running against this store: finish the run with \`weir run --resume ${run.id}\`, or start \`weir dev\``,
      );
    }
  });
}

/** The scheduler lease's holder when a live scheduler holds it, else null. */
async function liveScheduler(store: Store, nowMs: number): Promise<string | null> {
  const lease = await store.getLease(SCHEDULER_LEASE);
  if (!lease || lease.expiresMs <= nowMs || !isOwnerAlive(lease.owner)) return null;
  return lease.owner;
}

/** One line per cleared instance: `cleared load: failed → scheduled (next try 2)`. */
function describeCleared(cleared: readonly TaskInstanceRecord[], rows: readonly TaskInstanceRecord[]): string[] {
  const now = new Map(rows.map((r) => [instanceKey(r.taskId, r.mapIndex), r]));
  return cleared.map((i) => {
    const key = instanceKey(i.taskId, i.mapIndex);
    const state = now.get(key)?.state ?? "pending";
    const next = isTerminalTaskState(state) ? "" : ` (next try ${i.tryNumber + 1})`;
    return `cleared ${key}: ${i.state} → ${state}${next}`;
  });
}
