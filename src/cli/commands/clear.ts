// `weir clear <run-id> [--task t]… [--downstream] [--failed-only]`: task instances that ended run again.
// Each cleared instance goes back to pending (its next try is a new one; earlier tries and their logs stay
// as history), and a run that had ended runs again. The shared clear command decides and writes
// (src/scheduler/commands/clear.ts); with --server URL a running server does.
import type { ClearResponse } from "../../api/types.js";
import { isTerminalTaskState } from "../../engine/states.js";
import { instanceKey } from "../../engine/types.js";
import { systemClock } from "../../scheduler/clock.js";
import { clearRun } from "../../scheduler/commands/index.js";
import { toRunDocument } from "../../store/run-document.js";
import { callApi, enc, fetchRunDocument } from "../api-client.js";
import { out, printJson, say } from "../output.js";
import { withStore } from "../store-access.js";

export interface ClearOptions {
  task: string[];
  downstream?: boolean;
  failedOnly?: boolean;
  json?: boolean;
  server?: string;
}

/** What the command prints, the same whether the store or a server did the clearing. */
interface Cleared {
  cleared: ClearResponse["cleared"];
  inFlight: ClearResponse["inFlight"];
  runState: string;
  takenOverBy: string | null;
}

export async function clearCommand(runId: string, options: ClearOptions): Promise<void> {
  const input = { tasks: options.task, ...(options.downstream ? { downstream: true } : {}), ...(options.failedOnly ? { failedOnly: true } : {}) };
  if (options.server) {
    const response = await callApi<ClearResponse>(options.server, "POST", `/runs/${enc(runId)}/clear`, input);
    const after = await fetchRunDocument(options.server, runId);
    if (options.json) printJson(after.doc);
    report(runId, { ...response, runState: response.run.state }, options.json, new Set(after.instances.map((i) => instanceKey(i.taskId, i.mapIndex))));
    return;
  }
  await withStore(`no run with id "${runId}"`, async (store) => {
    const result = await clearRun({ store, live: null, clock: systemClock }, runId, input);
    const rows = await store.listTaskInstances(runId);
    const now = new Map(rows.map((r) => [instanceKey(r.taskId, r.mapIndex), r.state]));
    if (options.json) printJson(toRunDocument(result.run, rows, result.graph.order));
    report(
      runId,
      {
        cleared: result.cleared.map((i) => {
          const to = now.get(instanceKey(i.taskId, i.mapIndex)) ?? "pending";
          return { taskId: i.taskId, mapIndex: i.mapIndex, from: i.state, to, nextTry: isTerminalTaskState(to) ? null : i.tryNumber + 1 };
        }),
        inFlight: result.inFlight.map((i) => ({ taskId: i.taskId, mapIndex: i.mapIndex, state: i.state })),
        runState: result.runState,
        takenOverBy: result.takenOverBy,
      },
      options.json,
      new Set(now.keys()),
    );
  });
}

/** `present`: the run's instance keys after the clear; a cleared mapped instance not among them was collapsed. */
function report(runId: string, result: Cleared, json: boolean | undefined, present: ReadonlySet<string>): void {
  // Mapped tasks whose source was cleared with them went back to their placeholder (docs/mapping.md).
  const collapsed = new Map<string, { count: number; nextTry: number }>();
  for (const c of result.cleared) {
    if (c.mapIndex < 0 || present.has(instanceKey(c.taskId, c.mapIndex))) continue;
    const seen = collapsed.get(c.taskId) ?? { count: 0, nextTry: 0 };
    collapsed.set(c.taskId, { count: seen.count + 1, nextTry: Math.max(seen.nextTry, c.nextTry ?? 0) });
  }
  if (!json) {
    // One line per cleared instance: `cleared load: failed → scheduled (next try 2)`; one per collapsed task.
    for (const c of result.cleared) {
      if (c.mapIndex >= 0 && collapsed.has(c.taskId)) continue;
      out(`cleared ${instanceKey(c.taskId, c.mapIndex)}: ${c.from} → ${c.to}${c.nextTry === null ? "" : ` (next try ${c.nextTry})`}`);
    }
    for (const [taskId, { count, nextTry }] of collapsed) out(`cleared ${taskId}: its ${count} instance${count === 1 ? "" : "s"} replaced by its placeholder → pending (next try ${nextTry})`);
  }
  if (collapsed.size > 0) say(`weir: ${[...collapsed.keys()].join(", ")} will expand again, to the new length, when what they map over succeeds`);
  if (result.inFlight.length > 0) say(`weir: left as they are, not ended: ${result.inFlight.map((i) => `${instanceKey(i.taskId, i.mapIndex)} (${i.state})`).join(", ")}`);
  const n = result.cleared.length;
  say(`weir: ${n} task instance${n === 1 ? "" : "s"} of run ${runId} cleared; the run is ${result.runState}`);
  if (result.runState === "running") {
    say(
      result.takenOverBy !== null
        ? `weir: the scheduler running against this store (${result.takenOverBy}) takes the run over`
        : `weir: no scheduler is running against this store: finish the run with \`weir run --resume ${runId}\`, or start \`weir dev\``,
    );
  }
}
