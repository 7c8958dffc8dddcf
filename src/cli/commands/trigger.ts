// `weir trigger <id> [--param k=v]…`: creates a manual run now; a running scheduler (`weir dev`,
// `weir scheduler`) picks it up. Params and the pipeline are checked in a worker before anything is written.
// With --server URL the same goes through a running server's API.
import type { RunDetail } from "../../api/types.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { liveSchedulerOwner, triggerRun } from "../../scheduler/commands/index.js";
import { toRunDocument } from "../../store/run-document.js";
import { callApi, enc, fetchRunDocument, serverHealth } from "../api-client.js";
import { parseParamArgs } from "../params.js";
import { printJson, say } from "../output.js";
import { withStore } from "../store-access.js";

export interface TriggerOptions {
  param: string[];
  logicalDate?: string;
  json?: boolean;
  server?: string;
}

const NO_SCHEDULER = "weir: no scheduler is running against this store: start one with `weir dev` (the run waits queued)";

export async function triggerCommand(pipelineId: string, options: TriggerOptions): Promise<void> {
  const raw = parseParamArgs(options.param);
  if (options.server) {
    const body = { rawParams: raw, ...(options.logicalDate === undefined ? {} : { logicalDate: options.logicalDate }) };
    const run = await callApi<RunDetail>(options.server, "POST", `/pipelines/${enc(pipelineId)}/runs`, body);
    if (options.json) printJson((await fetchRunDocument(options.server, run.id)).doc);
    else say(`weir: run ${run.id} of ${pipelineId} queued for ${run.logicalDate}`);
    if (!(await serverHealth(options.server)).scheduler.live) say(NO_SCHEDULER);
    return;
  }
  await withStore(`no pipeline "${pipelineId}"`, async (store) => {
    const pool = new LocalWorkerPool({ size: 1, onResult: () => {} });
    try {
      const ctx = { store, live: null, clock: systemClock };
      const { run, graph } = await triggerRun(ctx, pool, { pipelineId, rawParams: raw, logicalDate: options.logicalDate });
      if (options.json) printJson(toRunDocument(run, await store.listTaskInstances(run.id), graph.order));
      else say(`weir: run ${run.id} of ${pipelineId} queued for ${new Date(run.logicalDateMs).toISOString()}`);
      if ((await liveSchedulerOwner(store, systemClock.now())) === null) say(NO_SCHEDULER);
    } finally {
      await pool.close();
    }
  });
}
