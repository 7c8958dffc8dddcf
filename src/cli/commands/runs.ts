// `weir runs <pipeline>`: a pipeline's runs, newest first (from the store, or a server with --server URL).
import type { Page, RunSummary } from "../../api/types.js";
import { WeirError } from "../../common/errors.js";
import { formatDuration } from "../../define/duration.js";
import { callApi, enc } from "../api-client.js";
import { isoOrNull, out, printJson } from "../output.js";
import { withStore } from "../store-access.js";

type Row = Pick<RunSummary, "id" | "pipeline" | "state" | "trigger" | "logicalDate" | "startedAt" | "endedAt">;

export async function runsCommand(pipelineId: string, options: { limit: number; json?: boolean; server?: string }): Promise<void> {
  let runs: Row[];
  if (options.server) {
    runs = (await callApi<Page<RunSummary>>(options.server, "GET", `/runs?pipeline=${enc(pipelineId)}&limit=${Math.min(options.limit, 500)}`)).items;
  } else {
    runs = await withStore(`no pipeline "${pipelineId}"`, async (store, home) => {
      const pipeline = await store.getPipeline(pipelineId);
      if (!pipeline) throw new WeirError("pipeline_not_found", `no pipeline "${pipelineId}" in ${home}`, { where: { pipeline: pipelineId } });
      return (await store.listRuns({ pipelineId, limit: options.limit })).map((r) => ({
        id: r.id,
        pipeline: r.pipelineId,
        state: r.state,
        trigger: r.trigger,
        logicalDate: new Date(r.logicalDateMs).toISOString(),
        startedAt: isoOrNull(r.startedMs),
        endedAt: isoOrNull(r.endedMs),
      }));
    });
  }
  if (options.json) {
    printJson({ pipeline: pipelineId, runs: runs.map((r) => ({ id: r.id, pipeline: r.pipeline, state: r.state, trigger: r.trigger, logicalDate: r.logicalDate, startedAt: r.startedAt, endedAt: r.endedAt })) });
    return;
  }
  if (runs.length === 0) {
    out(`no runs of ${pipelineId} yet`);
    return;
  }
  out(`${"RUN".padEnd(44)} ${"STATE".padEnd(9)} ${"LOGICAL DATE".padEnd(24)} DURATION`);
  for (const r of runs) {
    const took = r.startedAt !== null ? formatDuration((r.endedAt !== null ? Date.parse(r.endedAt) : Date.now()) - Date.parse(r.startedAt)) : "";
    out(`${r.id.padEnd(44)} ${r.state.padEnd(9)} ${r.logicalDate.padEnd(24)} ${took}`);
  }
}
