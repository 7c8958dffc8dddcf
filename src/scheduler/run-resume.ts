// What taking over a run whose driver died does with each of its instances (Coordinator.resumeRun): tries
// that were in flight are followed again or recorded lost, retry timers re-armed, scheduled instances made ready.
import type { InstanceRecord } from "../engine/index.js";
import type { EngineEvent } from "../engine/types.js";
import type { RunRecord } from "../store/types.js";
import { tryKeyOf } from "../worker/protocol.js";
import type { ActiveRun } from "./dispatch.js";
import { lostTryFailure } from "./lost-try.js";

/** The coordinator's parts a resumed run's instances go to. */
export interface ResumeTargets {
  /** A sub-pipeline's try: wait for its child run again (TryRouting.reattach). */
  reattachSubRun(record: RunRecord, ref: { taskId: string; mapIndex: number; tryNumber: number }): void;
  /** Whether the executor still follows the try (Executor.reattach): its result then comes as usual. */
  reattachTry(tryKey: string): boolean;
  enqueue(runId: string, event: EngineEvent): void;
  retryAt(runId: string, atMs: number, event: EngineEvent): void;
  makeReady(active: ActiveRun, taskId: string, mapIndex: number): void;
}

export function resumeInstances(record: RunRecord, active: ActiveRun, instances: readonly InstanceRecord[], targets: ResumeTargets): void {
  for (const instance of instances) {
    const ref = { taskId: instance.taskId, mapIndex: instance.mapIndex, tryNumber: instance.tryNumber };
    if (instance.state === "running" && active.tasks.get(instance.taskId)?.kind === "pipeline") {
      // A sub-pipeline's try waits for its child run, which may well have outlived the driver: wait again.
      targets.reattachSubRun(record, ref);
    } else if (instance.state === "queued" || instance.state === "running") {
      // A try the executor still follows (a store queue's row a worker holds) ends as usual: not run twice.
      if (targets.reattachTry(tryKeyOf(record.id, instance.taskId, instance.mapIndex, instance.tryNumber))) continue;
      const error = lostTryFailure("the process driving the run stopped while the try was in flight");
      targets.enqueue(record.id, { kind: "try_failed", ...ref, error });
    } else if (instance.state === "up_for_retry") {
      targets.retryAt(record.id, instance.retryAtMs ?? 0, { kind: "retry_due", taskId: instance.taskId, mapIndex: instance.mapIndex });
    } else if (instance.state === "scheduled") {
      targets.makeReady(active, instance.taskId, instance.mapIndex);
    }
  }
}
