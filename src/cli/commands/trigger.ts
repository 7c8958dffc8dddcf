// `weir trigger <id> [--param k=v]…`: creates a manual run now; a running scheduler (`weir dev`,
// `weir scheduler`) picks it up. Params and the pipeline are checked in a worker before anything is written.
import { existsSync } from "node:fs";
import { WeirError } from "../../common/errors.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { toRunDocument } from "../../store/run-document.js";
import { parseParamArgs } from "../params.js";
import { printJson, say } from "../output.js";
import { prepareManualRun } from "../prepare-run.js";
import { withStore } from "../store-access.js";

export interface TriggerOptions {
  param: string[];
  logicalDate?: string;
  json?: boolean;
}

export async function triggerCommand(pipelineId: string, options: TriggerOptions): Promise<void> {
  const raw = parseParamArgs(options.param);
  await withStore(`no pipeline "${pipelineId}"`, async (store, home) => {
    const pipeline = await store.getPipeline(pipelineId);
    if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" in ${home} (a scheduler or \`weir run\` registers pipelines)`, { where: { pipeline: pipelineId } });
    if (!existsSync(pipeline.file)) throw new WeirError("pipeline_file_missing", `the file of pipeline ${pipelineId} is gone: ${pipeline.file}`, { where: { pipeline: pipelineId } });
    const pool = new LocalWorkerPool({ size: 1, onResult: () => {} });
    try {
      const nowMs = systemClock.now();
      const { graph, run: newRun } = await prepareManualRun(pool, { file: pipeline.file, pipelineId, rawParams: raw, logicalDate: options.logicalDate, nowMs });
      await store.savePipelineVersion(graph, nowMs);
      const { run } = await store.createRun(newRun, nowMs);
      if (options.json) printJson(toRunDocument(run, await store.listTaskInstances(run.id), graph.order));
      else say(`weir: run ${run.id} of ${pipelineId} queued for ${new Date(run.logicalDateMs).toISOString()}`);
      const lease = await store.getLease("scheduler");
      if (!lease || lease.expiresMs < nowMs) say("weir: no scheduler is running against this store: start one with `weir dev` (the run waits queued)");
    } finally {
      await pool.close();
    }
  });
}
