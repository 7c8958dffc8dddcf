// `weir tasks <run-id>`: the task instances of a run with their states and tries (from the store, or a
// server with --server URL).
import { WeirError } from "../../common/errors.js";
import { formatDuration } from "../../define/duration.js";
import { toRunDocument, type RunDocument } from "../../store/run-document.js";
import { fetchRunDocument } from "../api-client.js";
import { out, printJson } from "../output.js";
import { withStore } from "../store-access.js";

export async function tasksCommand(runId: string, options: { json?: boolean; server?: string }): Promise<void> {
  let doc: RunDocument;
  if (options.server) {
    doc = (await fetchRunDocument(options.server, runId)).doc;
  } else {
    doc = await withStore(`no run with id "${runId}"`, async (store, home) => {
      const run = await store.getRun(runId);
      if (!run) throw new WeirError("run_not_found", `no run with id "${runId}" in ${home}`, { where: { run: runId } });
      const instances = await store.listTaskInstances(runId);
      const graph = await store.getPipelineVersion(run.pipelineId, run.version);
      return toRunDocument(run, instances, graph?.order);
    });
  }
  if (options.json) {
    printJson(doc);
    return;
  }
  out(`run ${doc.run.id} of ${doc.run.pipeline}: ${doc.run.state} (logical date ${doc.run.logicalDate})`);
  out(`${"TASK".padEnd(28)} ${"STATE".padEnd(16)} ${"TRIES".padEnd(5)} DURATION`);
  for (const t of doc.tasks) {
    const id = t.mapIndex >= 0 ? `${t.id}[${t.mapIndex}]` : t.id;
    const took = t.startedAt ? formatDuration((t.endedAt ? Date.parse(t.endedAt) : Date.now()) - Date.parse(t.startedAt)) : "";
    out(`${id.padEnd(28)} ${t.state.padEnd(16)} ${String(t.tries).padEnd(5)} ${took}${t.cached ? " (cached)" : ""}`);
  }
}
