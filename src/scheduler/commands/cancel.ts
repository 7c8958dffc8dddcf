// Cancel a run: running tries are stopped, unfinished instances canceled (the engine's run_cancel_requested).
// A run this process's scheduler drives is canceled through its coordinator, one a scheduler of another
// process drives through a run request it takes; an unstarted or orphaned run is claimed, then canceled in
// the store; a run a foreground `weir run` drives is refused (409).
import { WeirError } from "../../common/errors.js";
import { advance, compileEngineGraph, createRunSnapshot } from "../../engine/index.js";
import { isTerminalRunState } from "../../engine/states.js";
import type { RunRecord } from "../../store/types.js";
import { drivenByOtherScheduler, refuseIfDrivenElsewhere, requireRun, sendToScheduler, settleWithin, whileOwning, type CommandContext } from "./context.js";

export async function cancelRun(ctx: CommandContext, runId: string, reason = "canceled by a user"): Promise<RunRecord> {
  const { store } = ctx;
  const run = await requireRun(store, runId);
  const where = { run: runId };
  if (isTerminalRunState(run.state)) throw new WeirError("run_ended", `run ${runId} already ended: ${run.state}`, { where });
  const event = { kind: "run_cancel_requested" as const, reason };
  const ended = async (): Promise<boolean> => isTerminalRunState((await store.getRun(runId))?.state ?? "canceled");
  if (ctx.live?.coordinator.request(runId, event)) {
    await settleWithin(ended);
  } else if (await drivenByOtherScheduler(ctx, run)) {
    await sendToScheduler(ctx, run, event);
    await settleWithin(ended);
  } else {
    await refuseIfDrivenElsewhere(ctx, run, "cancel");
    const graph = await store.getPipelineVersion(run.pipelineId, run.version);
    if (!graph) throw new WeirError("pipeline_version_missing", `the pipeline version of run ${runId} is not in the store`, { input: false, where });
    await whileOwning(store, run, async () => {
      const instances = await store.listTaskInstances(runId);
      const snapshot = createRunSnapshot(run.id, run.state, compileEngineGraph(graph), instances);
      const decision = advance(snapshot, event, ctx.clock.now());
      const result = await store.applyDecisions([decision]);
      if (result.conflicts.length > 0) throw new WeirError("run_changed", `run ${runId} changed meanwhile (${result.conflicts[0]?.what}); nothing was canceled: try again`, { where });
    });
  }
  ctx.onChange?.({ kind: "run", runId });
  return requireRun(store, runId);
}
