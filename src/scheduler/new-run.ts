// The one place a run to create is assembled from a pipeline version and its interval: scheduled runs,
// backfills and manual runs differ only in trigger, params, backfill and owner.
import type { PipelineGraph } from "../graph/types.js";
import type { NewRun, RunTrigger } from "../store/types.js";
import { newRunId } from "./run-ids.js";

export interface RunInterval {
  logicalDateMs: number;
  intervalStartMs: number;
  intervalEndMs: number;
}

export function newRunFor(
  graph: PipelineGraph,
  trigger: RunTrigger,
  interval: RunInterval,
  extra: { params?: Record<string, unknown>; backfillId?: string; owner?: string | null; file?: string } = {},
): NewRun {
  // Every field set at once, in one order, whatever the run: one object shape for the store's insert to see
  // (fields added afterwards gave owned and started runs shapes of their own, recompiling the insert).
  return {
    id: newRunId(trigger, interval.logicalDateMs),
    pipelineId: graph.id,
    version: graph.version,
    trigger,
    logicalDateMs: interval.logicalDateMs,
    intervalStartMs: interval.intervalStartMs,
    intervalEndMs: interval.intervalEndMs,
    params: extra.params ?? {},
    file: extra.file ?? graph.file,
    taskIds: graph.order,
    backfillId: extra.backfillId,
    owner: extra.owner,
    started: undefined,
  };
}
