// Mark a task instance success or failed (Airflow's "mark success/failed"): the engine's instance_marked.
// A try in flight is stopped; what was pending downstream moves on by its trigger rule. Routed like clear:
// through this process's coordinator when it drives the run, else claimed and written with guards.
import { WeirError } from "../../common/errors.js";
import { advance, compileEngineGraph, createRunSnapshot } from "../../engine/index.js";
import { isTerminalRunState } from "../../engine/states.js";
import { instanceKey, isEmptyDecision, type InstanceTransition } from "../../engine/types.js";
import type { RunRecord, TaskInstanceRecord } from "../../store/types.js";
import { drivenByOtherScheduler, refuseIfDrivenElsewhere, requireRun, sendToScheduler, settleWithin, whileOwning, type CommandContext } from "./context.js";

export interface MarkInput {
  taskId: string;
  mapIndex: number;
  state: "success" | "failed";
}

export async function markTask(ctx: CommandContext, runId: string, input: MarkInput): Promise<{ run: RunRecord; instance: TaskInstanceRecord }> {
  const { store } = ctx;
  const { taskId, mapIndex, state } = input;
  const key = instanceKey(taskId, mapIndex);
  const where = { run: runId, task: taskId };
  const run = await requireRun(store, runId);
  const graph = await store.getPipelineVersion(run.pipelineId, run.version);
  if (!graph) throw new WeirError("pipeline_version_missing", `the pipeline version of run ${run.id} is not in the store`, { input: false, where });
  const find = async (): Promise<TaskInstanceRecord | undefined> => (await store.reads.listInstancesPage({ runId, taskId, after: { taskId, mapIndex: mapIndex - 1 }, limit: 1 })).find((i) => i.mapIndex === mapIndex);
  const instance = graph.tasks.some((t) => t.id === taskId) ? await find() : undefined;
  if (!instance) throw new WeirError("task_not_found", `run ${runId} has no task instance ${key}`, { where });
  if (run.state === "queued") throw new WeirError("run_not_started", `run ${runId} has not started yet: start or cancel it first`, { where });
  if (instance.state === state) throw new WeirError("task_already_marked", `task ${key} of run ${runId} is already ${state}`, { where });
  if (instance.state === "removed") throw new WeirError("task_removed", `task ${key} is not in the pipeline version of run ${runId}`, { where });

  const event = { kind: "instance_marked" as const, taskId, mapIndex, state };
  let transitions: readonly InstanceTransition[] | undefined;
  if (ctx.live?.coordinator.request(runId, event)) {
    await settleWithin(async () => (await find())?.state === state);
  } else if (!isTerminalRunState(run.state) && (await drivenByOtherScheduler(ctx, run))) {
    await sendToScheduler(ctx, run, event);
    await settleWithin(async () => (await find())?.state === state);
  } else {
    if (!isTerminalRunState(run.state)) await refuseIfDrivenElsewhere(ctx, run, "mark tasks of");
    const write = async (): Promise<void> => {
      const snapshot = createRunSnapshot(run.id, run.state, compileEngineGraph(graph), await store.listTaskInstances(runId));
      const decision = advance(snapshot, event, ctx.clock.now());
      if (isEmptyDecision(decision)) throw new WeirError("task_already_marked", `task ${key} of run ${runId} can't be marked ${state} now`, { where });
      const result = await store.applyDecisions([decision]);
      if (result.conflicts.length > 0) throw new WeirError("run_changed", `run ${runId} changed meanwhile (${result.conflicts[0]?.what}); nothing was marked: try again`, { where });
      transitions = decision.transitions;
    };
    if (isTerminalRunState(run.state)) await write();
    else await whileOwning(store, run, write);
    ctx.live?.wake();
  }
  ctx.onChange?.({ kind: "run", runId, ...(transitions ? { transitions } : {}) });
  return { run: await requireRun(store, runId), instance: (await find()) ?? instance };
}
