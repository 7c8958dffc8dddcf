// Trigger: a manual run now. The pipeline file is loaded and the params validated in a worker process
// (user code never runs in the CLI or the server) before anything is written; a bad param writes nothing.
import { existsSync } from "node:fs";
import { WeirError } from "../../common/errors.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { RunRecord } from "../../store/types.js";
import type { CommandContext } from "./context.js";
import { prepareManualRun, type RunPreparer } from "./prepare-run.js";

export interface TriggerInput {
  pipelineId: string;
  /** `--param k=v` strings (the CLI). */
  rawParams?: Record<string, string>;
  /** JSON values (the API). */
  params?: Record<string, unknown>;
  logicalDate?: string | undefined;
}

export async function triggerRun(ctx: CommandContext, workers: RunPreparer, input: TriggerInput): Promise<{ run: RunRecord; graph: PipelineGraph }> {
  const { pipelineId } = input;
  const pipeline = await ctx.store.getPipeline(pipelineId);
  if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" (a scheduler or \`weir run\` registers pipelines)`, { where: { pipeline: pipelineId } });
  if (!existsSync(pipeline.file)) throw new WeirError("pipeline_file_missing", `the file of pipeline ${pipelineId} is gone: ${pipeline.file}`, { where: { pipeline: pipelineId } });
  const nowMs = ctx.clock.now();
  const { graph, run: newRun } = await prepareManualRun(workers, {
    file: pipeline.file,
    pipelineId,
    ...(input.rawParams ? { rawParams: input.rawParams } : {}),
    ...(input.params ? { params: input.params } : {}),
    logicalDate: input.logicalDate,
    nowMs,
  });
  await ctx.store.savePipelineVersion(graph, nowMs);
  const { run } = await ctx.store.createRun(newRun, nowMs);
  ctx.live?.wake();
  ctx.onChange?.({ kind: "run", runId: run.id });
  return { run, graph };
}
