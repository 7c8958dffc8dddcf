// The coordinator's two ends of a try result: the executor's result made an engine event (with what the
// cache and the run's outputs add to it), and, once its decision is committed, the try keys given back to
// an executor that keeps results until then (a store queue, docs/distributed.md).
import type { EngineEvent } from "../engine/types.js";
import { tryKeyOf, type TryResult } from "../worker/protocol.js";
import type { Executor } from "./executor.js";
import type { CacheFacts } from "./task-cache.js";
import type { RunOutputs } from "./try-jobs.js";

/**
 * The engine event of a try's result (null for an answer that is not a try's end: a `cache_key`). A success's
 * output is kept in the run's `outputs` (when the run is still driven).
 */
export function resultEvent(
  parsed: { taskId: string; mapIndex: number; tryNumber: number },
  result: TryResult,
  facts: CacheFacts,
  timing: { startedMs: number } | undefined,
  outputs: RunOutputs | undefined,
): EngineEvent | null {
  // Objects built field by field, not by rest/spread: this runs once per try, and those showed in the profile.
  const { taskId, mapIndex, tryNumber } = parsed;
  switch (result.outcome) {
    case "success": {
      // A task something maps over tells the engine its output's length (decoded there, never in the engine).
      const mapLength = outputs?.recordSuccess(taskId, mapIndex, result.output);
      // Every field present (undefined when absent): one hidden class for every success event.
      return {
        kind: "try_succeeded",
        taskId,
        mapIndex,
        tryNumber,
        output: result.output,
        startedMs: timing?.startedMs,
        mapLength,
        follow: result.follow,
        cacheKey: facts.cacheKey,
        cached: facts.cached,
      };
    }
    case "failure":
      return { kind: "try_failed", ...endRef(parsed, timing), error: result.error };
    case "skipped":
      return { kind: "try_skipped", ...endRef(parsed, timing), reason: result.reason };
    default:
      return null;
  }
}

function endRef(parsed: { taskId: string; mapIndex: number; tryNumber: number }, timing: { startedMs: number } | undefined): { taskId: string; mapIndex: number; tryNumber: number; startedMs?: number } {
  const ref: { taskId: string; mapIndex: number; tryNumber: number; startedMs?: number } = { taskId: parsed.taskId, mapIndex: parsed.mapIndex, tryNumber: parsed.tryNumber };
  if (timing !== undefined) ref.startedMs = timing.startedMs;
  return ref;
}

/** Results whose decisions committed: the executor may let go of them (a store queue keeps them until now). */
export function acknowledgeResults(executor: Executor, items: readonly { runId: string; events: readonly EngineEvent[] }[]): void {
  if (executor.committed === undefined) return;
  const tryKeys: string[] = [];
  for (const { runId, events } of items) {
    for (const e of events) {
      if (e.kind === "try_succeeded" || e.kind === "try_failed" || e.kind === "try_skipped") tryKeys.push(tryKeyOf(runId, e.taskId, e.mapIndex, e.tryNumber));
    }
  }
  if (tryKeys.length > 0) executor.committed(tryKeys);
}
