// Sub-pipeline tasks (`p.pipeline`, docs/caching.md § sub-pipelines): when one is claimed, the scheduler
// creates a run of the other pipeline — same logical date and data interval — links it to the parent's try,
// and drives it with the same coordinator; no worker holds a slot while it waits. When the child run ends,
// its outcome becomes the try's: success gives `{ runId, pipelineId, state }`, anything else a failure.
import type { TaskFailure } from "../engine/types.js";
import type { RunState } from "../engine/states.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { TryLog } from "../observe/try-log.js";
import type { RunRecord, Store } from "../store/types.js";
import { tryKeyOf, type LoadResult, type ParamsResult, type TryJob, type TryResult } from "../worker/protocol.js";
import { encodeValue } from "../worker/value-codec.js";
import { newRunId } from "./run-ids.js";

/** What the end of a child run needs of its parent's try. */
type ParentTry = Pick<TryJob, "tryKey" | "taskId" | "logPath">;

/** Loads pipeline files and validates params in a worker (the local pool does both). */
export interface PipelineLoader {
  load(file: string): Promise<LoadResult>;
  parseParams(request: { file: string; pipelineId: string; values?: Record<string, unknown> }): Promise<ParamsResult>;
}

export function isPipelineLoader(value: unknown): value is PipelineLoader {
  return typeof value === "object" && value !== null && typeof (value as PipelineLoader).load === "function" && typeof (value as PipelineLoader).parseParams === "function";
}

export interface SubRunsOptions {
  store: Store;
  loader: PipelineLoader | null;
  now: () => number;
  /** Drives the child run; resolves with its final state. */
  drive: (record: RunRecord, graph: PipelineGraph) => Promise<RunState>;
  /** Drives a child run that was left running (its parent is being resumed). */
  resume: (record: RunRecord, graph: PipelineGraph) => Promise<RunState>;
  cancel: (runId: string, reason: string) => void;
  deliver: (tryKey: string, result: TryResult) => void;
}

export class SubRuns {
  /** Parent try key → child run id, while the child runs (to cancel it with its parent's try). */
  private readonly children = new Map<string, string>();

  constructor(private readonly options: SubRunsOptions) {}

  async start(parent: RunRecord, task: TaskNode, job: TryJob): Promise<void> {
    const spec = task.subPipeline;
    if (!spec) {
      this.fail(job, "SubPipelineError", `task ${task.id} names no pipeline to run`);
      return;
    }
    const found = await this.resolve(parent, spec.pipelineId, spec.params);
    if (!found.ok) {
      this.fail(job, found.name, found.message);
      return;
    }
    const { graph, params } = found;
    const nowMs = this.options.now();
    const { store } = this.options;
    await store.savePipelineVersion(graph, nowMs);
    const { run: child } = await store.createRun(
      {
        id: newRunId("manual", parent.logicalDateMs),
        pipelineId: graph.id,
        version: graph.version,
        trigger: "manual",
        logicalDateMs: parent.logicalDateMs,
        intervalStartMs: parent.intervalStartMs,
        intervalEndMs: parent.intervalEndMs,
        params,
        file: graph.file,
        owner: parent.owner,
        taskIds: graph.order,
      },
      nowMs,
    );
    await store.linkSubRun({ childRunId: child.id, parentRunId: parent.id, parentTaskId: job.taskId, parentMapIndex: job.mapIndex, parentTryNumber: job.tryNumber, createdMs: nowMs });
    logLine(job.logPath, `started run ${child.id} of pipeline ${graph.id} (logical date ${new Date(child.logicalDateMs).toISOString()}); waiting for it to end`);
    this.children.set(job.tryKey, child.id);
    this.options.drive(child, graph).then(
      (state) => this.ended(job, child, state),
      () => this.children.delete(job.tryKey),
    );
  }

  /**
   * A resumed parent's sub-pipeline try was waiting for its child run: it waits again (the child is resumed,
   * or its end delivered at once). False when the try had started no child run: it is lost and runs again.
   */
  async reattach(parent: RunRecord, ref: { taskId: string; mapIndex: number; tryNumber: number }, logPath: string): Promise<boolean> {
    const { store } = this.options;
    const link = (await store.listSubRuns(parent.id)).find((l) => l.parentTaskId === ref.taskId && l.parentMapIndex === ref.mapIndex && l.parentTryNumber === ref.tryNumber);
    const child = link ? await store.getRun(link.childRunId) : null;
    const graph = child ? await store.getPipelineVersion(child.pipelineId, child.version) : null;
    if (!child || !graph) return false;
    // The child belongs to whoever drives its parent now: nobody else adopts it meanwhile.
    if (child.owner !== parent.owner) await store.setRunOwner(child.id, parent.owner, child.owner);
    const job: ParentTry = { tryKey: tryKeyOf(parent.id, ref.taskId, ref.mapIndex, ref.tryNumber), taskId: ref.taskId, logPath };
    logLine(logPath, `waiting again for run ${child.id} of pipeline ${child.pipelineId} (its parent run was resumed)`);
    this.children.set(job.tryKey, child.id);
    this.options.resume({ ...child, owner: parent.owner }, graph).then(
      (state) => this.ended(job, child, state),
      () => this.children.delete(job.tryKey),
    );
    return true;
  }

  /** Child runs still running that tries of this run started (a canceled parent waits for their cancel). */
  childrenOf(runId: string): string[] {
    const prefix = `${runId}/`;
    return [...this.children].filter(([tryKey]) => tryKey.startsWith(prefix)).map(([, child]) => child);
  }

  /** The parent's try was stopped (run canceled, timed out, marked): its child run is canceled too. */
  abort(tryKey: string, reason: string): void {
    const child = this.children.get(tryKey);
    if (child !== undefined) this.options.cancel(child, `its parent try was stopped: ${reason}`);
  }

  private ended(job: ParentTry, child: RunRecord, state: RunState): void {
    this.children.delete(job.tryKey);
    logLine(job.logPath, `run ${child.id} of pipeline ${child.pipelineId} ended: ${state}`);
    if (state === "success") {
      this.options.deliver(job.tryKey, { outcome: "success", output: encodeValue({ runId: child.id, pipelineId: child.pipelineId, state }, `task "${job.taskId}"`) });
    } else {
      const error: TaskFailure = { name: "SubPipelineFailedError", message: `run ${child.id} of pipeline ${child.pipelineId} ended ${state}`, retryable: true, kind: "error" };
      this.options.deliver(job.tryKey, { outcome: "failure", error });
    }
  }

  private fail(job: TryJob, name: string, message: string): void {
    logLine(job.logPath, message);
    this.options.deliver(job.tryKey, { outcome: "failure", error: { name, message, retryable: false, kind: "error" } });
  }

  /**
   * The other pipeline as the parent's file defines it, else as the store's registry knows it (its file loaded
   * again, so the child runs the code on disk now), with its params validated by its own schema.
   */
  private async resolve(parent: RunRecord, pipelineId: string, values: Record<string, unknown>): Promise<{ ok: true; graph: PipelineGraph; params: Record<string, unknown> } | { ok: false; name: string; message: string }> {
    const { loader, store } = this.options;
    if (loader === null) return { ok: false, name: "SubPipelineNotFoundError", message: `pipeline ${pipelineId} can't be loaded: this scheduler has no worker pool to load pipeline files with` };
    const files = [parent.file];
    const known = await store.getPipeline(pipelineId);
    if (known && known.file !== parent.file) files.push(known.file);
    let graph: PipelineGraph | undefined;
    for (const file of files) {
      const loaded = await loader.load(file);
      graph = loaded.pipelines.find((p) => p.id === pipelineId);
      if (graph) break;
    }
    if (!graph) {
      const where = files.length > 1 ? `${files[0]} nor ${files[1]}` : `${files[0]}, and no pipeline of that id is registered in the store`;
      return { ok: false, name: "SubPipelineNotFoundError", message: `pipeline ${pipelineId} was not found: not defined in ${where}` };
    }
    const parsed = await loader.parseParams({ file: graph.file, pipelineId, values });
    if (!parsed.ok) {
      const problems = parsed.problems.map((p) => (p.param ? `${p.param}: ${p.message}` : p.message)).join("; ");
      return { ok: false, name: "SubPipelineParamsError", message: `params for pipeline ${pipelineId} are invalid: ${problems}` };
    }
    return { ok: true, graph, params: parsed.params };
  }
}

function logLine(path: string, text: string): void {
  const log = new TryLog(path);
  try {
    log.line("info", text);
    log.close();
  } catch {
    // A log that can't be written doesn't change the try's outcome.
  }
}
