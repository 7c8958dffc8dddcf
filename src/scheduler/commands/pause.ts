// Pause and unpause a pipeline: a paused pipeline gets no new scheduled runs; on unpause its missed
// intervals follow its catchup setting.
import { WeirError } from "../../common/errors.js";
import type { CommandContext } from "./context.js";

export async function setPipelinePaused(ctx: CommandContext, pipelineId: string, paused: boolean): Promise<void> {
  if (!(await ctx.store.setPaused(pipelineId, paused))) {
    throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}"`, { where: { pipeline: pipelineId } });
  }
  ctx.live?.wake();
  ctx.onChange?.({ kind: "pipeline", pipelineId, paused });
}
