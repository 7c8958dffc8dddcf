// Clear: a run's ended task instances run again (`instances_cleared`): each goes back to pending and gets a
// new try (earlier tries and their logs stay), and a run that had ended runs again. The engine decides; a
// run a scheduler drives is cleared through its coordinator (a run request when that scheduler is another
// process), every other is claimed and written with the store's guards (a run that changed meanwhile is a
// conflict and nothing is written).
import { WeirError } from "../../common/errors.js";
import { advance, applyDecision, compileEngineGraph, createRunSnapshot } from "../../engine/index.js";
import { isTerminalRunState, type RunState, type TaskState } from "../../engine/states.js";
import { instanceKey, isEmptyDecision, type InstanceTransition } from "../../engine/types.js";
import type { PipelineGraph } from "../../graph/types.js";
import { downstreamOf } from "../../graph/graph-order.js";
import type { RunRecord, Store, TaskInstanceRecord } from "../../store/types.js";
import { isArtifactRef } from "../../artifacts/reference.js";
import { decodeValue } from "../../worker/value-codec.js";
import type { EngineGraph } from "../../engine/types.js";
import { drivenByOtherScheduler, liveSchedulerOwner, refuseIfDrivenElsewhere, requireRun, sendToScheduler, settleWithin, whileOwning, type CommandContext } from "./context.js";

export interface ClearInput {
  tasks?: readonly string[];
  downstream?: boolean;
  failedOnly?: boolean;
}

export interface ClearResult {
  run: RunRecord;
  graph: PipelineGraph;
  /** The instances cleared, as they were before. */
  cleared: TaskInstanceRecord[];
  /** Selected instances left alone because they have not ended. */
  inFlight: TaskInstanceRecord[];
  /** The run's state after the clear. */
  runState: RunState;
  /** Who runs it again: this process's scheduler, another live scheduler (its owner id), or nobody. */
  takenOverBy: "this process" | string | null;
}

/** What a user may clear: every ended state except removed (the task is gone from the run's version). */
const CLEARABLE: ReadonlySet<TaskState> = new Set<TaskState>(["success", "failed", "skipped", "upstream_failed", "canceled"]);
/** What failedOnly keeps. */
const FAILED: ReadonlySet<TaskState> = new Set<TaskState>(["failed", "upstream_failed", "canceled"]);
/** States in which a try is under way or about to be retried: never cleared, and an error when named. */
const IN_FLIGHT: ReadonlySet<TaskState> = new Set<TaskState>(["queued", "running", "deferred", "up_for_retry"]);

export async function clearRun(ctx: CommandContext, runId: string, input: ClearInput): Promise<ClearResult> {
  const { store } = ctx;
  const where = { run: runId };
  const run = await requireRun(store, runId);
  const graph = await store.getPipelineVersion(run.pipelineId, run.version);
  if (!graph) throw new WeirError("pipeline_version_missing", `the pipeline version of run ${run.id} is not in the store`, { input: false, where });

  const named = [...new Set(input.tasks ?? [])];
  for (const task of named) {
    if (!graph.tasks.some((t) => t.id === task)) throw new WeirError("task_not_found", `run ${run.id} of ${run.pipelineId} has no task "${task}"`, { where: { run: run.id, task } });
  }
  if (run.state === "queued") throw new WeirError("run_not_started", `run ${run.id} has not started yet: nothing in it has ended to clear`, { where });
  const driven = ctx.live?.coordinator.drives(runId) ?? false;
  const remote = !driven && !isTerminalRunState(run.state) && (await drivenByOtherScheduler(ctx, run));
  if (!driven && !remote && !isTerminalRunState(run.state)) await refuseIfDrivenElsewhere(ctx, run, "clear");

  const instances = await store.listTaskInstances(run.id);
  const rank = new Map(graph.order.map((id, i) => [id, i]));
  instances.sort((a, b) => (rank.get(a.taskId) ?? 0) - (rank.get(b.taskId) ?? 0) || a.mapIndex - b.mapIndex);
  // Which tasks: the named ones (all when none), plus everything downstream of them with `downstream`.
  const tasks = new Set(named.length > 0 ? named : graph.order);
  if (input.downstream) for (const task of named) for (const down of downstreamOf(graph, task, true)) tasks.add(down);
  const selected = instances.filter((i) => tasks.has(i.taskId));
  for (const i of selected) {
    if (named.includes(i.taskId) && IN_FLIGHT.has(i.state)) {
      const id = instanceKey(i.taskId, i.mapIndex);
      throw new WeirError("task_not_ended", `task ${id} of run ${run.id} is ${i.state} (try ${i.tryNumber}): only task instances that have ended can be cleared`, { where: { run: run.id, task: i.taskId } });
    }
  }
  const toClear = selected.filter((i) => CLEARABLE.has(i.state) && (!input.failedOnly || FAILED.has(i.state)));
  if (toClear.length === 0) {
    const what = input.failedOnly ? "failed, upstream_failed or canceled task instance" : "task instance that has ended";
    const among = named.length === 0 ? "" : ` among ${named.join(", ")}${input.downstream ? " and their downstream" : ""}`;
    throw new WeirError("nothing_to_clear", `nothing to clear in run ${run.id}: no ${what}${among}`, { where });
  }
  const keys = toClear.map((i) => ({ taskId: i.taskId, mapIndex: i.mapIndex }));
  const inFlight = selected.filter((i) => IN_FLIGHT.has(i.state));

  let runState: RunState;
  const event = { kind: "instances_cleared" as const, keys };
  // The coordinator driving the run commits it in its next tick; the answer describes the store once it has.
  const first = toClear[0] as TaskInstanceRecord;
  const committed = async (): Promise<boolean> => (await store.reads.listInstancesPage({ runId, taskId: first.taskId, after: { taskId: first.taskId, mapIndex: first.mapIndex - 1 }, limit: 1 }))[0]?.state !== first.state;
  let handed = false;
  let transitions: readonly InstanceTransition[] | undefined;
  if (driven) handed = ctx.live?.coordinator.request(runId, event) ?? false;
  else if (remote) {
    await sendToScheduler(ctx, run, event);
    handed = true;
  }
  if (handed) {
    await settleWithin(committed);
    runState = (await requireRun(store, runId)).state;
  } else {
    const write = async (): Promise<RunState> => {
      const engineGraph = compileEngineGraph(graph);
      const snapshot = createRunSnapshot(run.id, run.state, engineGraph, instances, await mapLengthsOf(store, run.id, engineGraph));
      const decision = advance(snapshot, { kind: "instances_cleared", keys }, ctx.clock.now());
      if (isEmptyDecision(decision)) throw new WeirError("nothing_to_clear", `nothing to clear in run ${run.id}`, { where });
      const result = await store.applyDecisions([decision]);
      if (result.conflicts.length > 0) throw new WeirError("run_changed", `run ${run.id} changed meanwhile (${result.conflicts[0]?.what}); nothing was cleared: try again`, { where });
      transitions = decision.transitions;
      applyDecision(snapshot, decision);
      return snapshot.state;
    };
    // An ended run is driven by nobody; one still running (its driver died) is claimed while it is written.
    runState = isTerminalRunState(run.state) ? await write() : await whileOwning(store, run, write);
    ctx.live?.wake();
  }
  ctx.onChange?.({ kind: "run", runId, ...(transitions ? { transitions } : {}) });
  const scheduler = driven || ctx.live ? "this process" : remote ? run.owner : await liveSchedulerOwner(store, ctx.clock.now());
  return { run: await requireRun(store, runId), graph, cleared: toClear, inFlight, runState, takenOverBy: scheduler };
}

/**
 * The lengths of the outputs of the unmapped tasks some task maps over, where they are stored inline (one in
 * the artifact store is left unknown): what the engine checks a kept expansion against (checkExpansion).
 */
async function mapLengthsOf(store: Store, runId: string, graph: EngineGraph): Promise<Map<string, number | null>> {
  const sources = new Set<string>();
  for (const task of graph.tasks.values()) for (const source of task.mapping?.sources ?? []) if (!graph.tasks.get(source)?.mapping) sources.add(source);
  const lengths = new Map<string, number | null>();
  if (sources.size === 0) return lengths;
  for (const [taskId, output] of await store.getOutputs(runId, [...sources])) {
    if (isArtifactRef(output)) continue;
    try {
      const value = decodeValue(output);
      lengths.set(taskId, Array.isArray(value) ? value.length : null);
    } catch {
      // Not decodable here: left unknown, as for an artifact.
    }
  }
  return lengths;
}
