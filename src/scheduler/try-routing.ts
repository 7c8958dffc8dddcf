// Where a committed try goes instead of (or before) a worker: a cacheable task's key is looked up
// (task-cache.ts), a sub-pipeline task starts its child run (sub-runs.ts), anything else goes to the
// executor. Kept out of coordinator.ts so the coordinator only wires it to its ticks (docs/adr/0006).
import type { EngineEvent } from "../engine/types.js";
import type { RunState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
import { tryLogPath } from "../observe/try-log-path.js";
import type { RunRecord, Store } from "../store/types.js";
import type { TryJob, TryResult } from "../worker/protocol.js";
import type { ActiveRun } from "./dispatch.js";
import type { Executor } from "./executor.js";
import { lostTryFailure } from "./lost-try.js";
import { isPipelineLoader, SubRuns, type PipelineLoader } from "./sub-runs.js";
import { NO_FACTS, TaskCache, type CacheFacts } from "./task-cache.js";
import { isDeferredSensor, SensorHandOff } from "./sensor-handoff.js";
import { artifactInliner } from "./try-jobs.js";

export interface TryRoutingOptions {
  store: Store;
  executor: Executor;
  home: string;
  now: () => number;
  pipelines?: PipelineLoader | undefined;
  /** Ends a try as if a worker had reported it. */
  deliver: (tryKey: string, result: TryResult) => void;
  /** The coordinator's own: drive a (child) run, resume one, cancel one, take an event, stop on a store failure. */
  drive: (record: RunRecord, graph: PipelineGraph) => Promise<RunState>;
  resume: (record: RunRecord, graph: PipelineGraph) => Promise<RunState>;
  cancel: (runId: string, reason: string) => void;
  enqueue: (runId: string, event: EngineEvent) => void;
  fail: (error: unknown) => void;
}

export class TryRouting {
  /** Reads an output that is an artifact reference (for what the scheduler itself must decode). */
  readonly inline: (output: string) => string;
  private readonly cache: TaskCache;
  private readonly subRuns: SubRuns;
  /** Deferred sensors' tries go to the trigger loop through the store (docs/adr/0007). */
  private readonly sensors: SensorHandOff;

  constructor(private readonly options: TryRoutingOptions) {
    const { store, now, deliver } = options;
    this.inline = artifactInliner(options.home);
    this.cache = new TaskCache({ store, now, submit: (job) => options.executor.submit(job), deliver });
    const loader = options.pipelines ?? (isPipelineLoader(options.executor) ? options.executor : null);
    this.sensors = new SensorHandOff({ store, now, enqueue: options.enqueue });
    this.subRuns = new SubRuns({ store, loader, now, drive: options.drive, resume: options.resume, cancel: options.cancel, deliver });
  }

  /**
   * A committed try goes to a worker, or is answered from the cache, or starts a sub-pipeline's run.
   * A plain try is submitted synchronously (undefined: nothing to await), so a tick's submits stay in one
   * synchronous stretch, which the pool sends as one message per worker instead of one per try.
   */
  route(active: ActiveRun | undefined, job: TryJob): Promise<void> | undefined {
    const task = active?.tasks.get(job.taskId);
    if (!active || !task) this.options.executor.submit(job);
    else if (task.kind === "pipeline") return this.subRuns.start(active.record, task, job);
    else if (isDeferredSensor(task)) return this.sensors.defer(active.record, task, job);
    else if (TaskCache.consulted(task)) return this.cache.route(active.record, task, job);
    else this.options.executor.submit(job);
    return undefined;
  }

  /** What a success event adds (its cache facts); null when the result is an intermediate answer handled here. */
  onResult(tryKey: string, result: TryResult): CacheFacts | null {
    if (result.outcome === "cache_key") {
      this.cache.keyComputed(tryKey, result.key).catch(this.options.fail);
      return null;
    }
    if (result.outcome === "success") return this.cache.factsFor(tryKey);
    this.cache.forget(tryKey);
    return NO_FACTS;
  }

  /** A resumed run's sub-pipeline try waits for its child run again; one that started none is lost. */
  reattach(record: RunRecord, ref: { taskId: string; mapIndex: number; tryNumber: number }): void {
    const logPath = tryLogPath(this.options.home, record.pipelineId, record.id, ref.taskId, ref.mapIndex, ref.tryNumber);
    const lost: EngineEvent = { kind: "try_failed", ...ref, error: lostTryFailure("the process driving the run stopped before the sub-pipeline's run was created") };
    this.subRuns.reattach(record, ref, logPath).then((waiting) => waiting || this.options.enqueue(record.id, lost), this.options.fail);
  }

  /** A try was stopped: a sub-pipeline's child run is canceled with it. */
  abort(tryKey: string, reason: string): void {
    this.subRuns.abort(tryKey, reason);
  }

  /** Child runs that tries of this run started and that have not ended yet. */
  childRunsOf(runId: string): string[] {
    return this.subRuns.childrenOf(runId);
  }

  runEnded(runId: string): void {
    this.cache.runEnded(runId);
  }

  close(): void {
    this.subRuns.close();
  }
}
