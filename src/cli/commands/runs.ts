// `weir runs <pipeline>`: a pipeline's runs, newest first.
import { WeirError } from "../../common/errors.js";
import { formatDuration } from "../../define/duration.js";
import { isoOrNull, out, printJson } from "../output.js";
import { withStore } from "../store-access.js";

export async function runsCommand(pipelineId: string, options: { limit: number; json?: boolean }): Promise<void> {
  await withStore(`no pipeline "${pipelineId}"`, async (store, home) => {
    const pipeline = await store.getPipeline(pipelineId);
    if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" in ${home}`, { where: { pipeline: pipelineId } });
    const runs = await store.listRuns({ pipelineId, limit: options.limit });
    if (options.json) {
      printJson({
        pipeline: pipelineId,
        runs: runs.map((r) => ({
          id: r.id,
          pipeline: r.pipelineId,
          state: r.state,
          trigger: r.trigger,
          logicalDate: new Date(r.logicalDateMs).toISOString(),
          startedAt: isoOrNull(r.startedMs),
          endedAt: isoOrNull(r.endedMs),
        })),
      });
      return;
    }
    if (runs.length === 0) {
      out(`no runs of ${pipelineId} yet`);
      return;
    }
    out(`${"RUN".padEnd(44)} ${"STATE".padEnd(9)} ${"LOGICAL DATE".padEnd(24)} DURATION`);
    for (const r of runs) {
      const took = r.startedMs !== null ? formatDuration((r.endedMs ?? Date.now()) - r.startedMs) : "";
      out(`${r.id.padEnd(44)} ${r.state.padEnd(9)} ${new Date(r.logicalDateMs).toISOString().padEnd(24)} ${took}`);
    }
  });
}
