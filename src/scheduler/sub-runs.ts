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
import { decodeValue, encodeValue } from "../worker/value-codec.js";
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

/** A parent try whose child run waits for a maxActiveRuns slot of its pipeline. */
interface WaitingChild {
  tryKey: string;
  logPath: string;
  /** Whether its log already says it waits. */
  told: boolean;
  launch: () => Promise<void>;
}

/** How long a waiting child waits before counting again when no run this scheduler drives will end to wake it. */
const RECOUNT_MS = 1_000;

export class SubRuns {
  /** Parent try key → child run id, while the child runs (to cancel it with its parent's try). */
  private readonly children = new Map<string, string>();
  /** Child runs this scheduler started or waits for, by pipeline: counted even before their start commits. */
  private readonly live = new Map<string, Set<string>>();
  /** Children waiting for a slot, by pipeline, oldest first; with the pipeline's maxActiveRuns. */
  private readonly waiting = new Map<string, { max: number; queue: WaitingChild[] }>();
  private readonly pumping = new Set<string>();
  private readonly pumpAgain = new Set<string>();
  private recount: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly options: SubRunsOptions) {}

  /** The scheduler stops: no more recounts (waiting children stay waiting; their runs are resumable). */
  close(): void {
    this.closed = true;
    if (this.recount !== null) clearTimeout(this.recount);
    this.recount = null;
  }

  async start(parent: RunRecord, task: TaskNode, job: TryJob): Promise<void> {
    const spec = task.subPipeline;
    if (!spec) {
      this.fail(job, "SubPipelineError", `task ${task.id} names no pipeline to run`);
      return;
    }
    const values = paramsOf(task, spec.params, job);
    if (typeof values === "string") {
      this.fail(job, "SubPipelineParamsError", values);
      return;
    }
    const found = await this.resolve(parent, spec.pipelineId, values);
    if (!found.ok) {
      this.fail(job, found.name, found.message);
      return;
    }
    const { graph, params } = found;
    // The child pipeline's maxActiveRuns holds for child runs too: beyond it, the child waits for a slot.
    const entry = this.waiting.get(graph.id) ?? { max: graph.maxActiveRuns, queue: [] };
    entry.max = graph.maxActiveRuns;
    entry.queue.push({ tryKey: job.tryKey, logPath: job.logPath, told: false, launch: () => this.launch(parent, graph, params, job) });
    this.waiting.set(graph.id, entry);
    await this.pump(graph.id);
  }

  /** Creates the child run, links it to the parent's try and drives it. */
  private async launch(parent: RunRecord, graph: PipelineGraph, params: Record<string, unknown>, job: TryJob): Promise<void> {
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
    this.liveOf(graph.id).add(child.id);
    this.options.drive(child, graph).then(
      (state) => this.ended(job, child, state),
      () => this.forget(job.tryKey, child),
    );
  }

  /**
   * Starts the waiting children of a pipeline, oldest first, while it has fewer than maxActiveRuns runs
   * running (in the store, whoever drives them, plus the children started here and not yet committed).
   * One pump per pipeline at a time, so two children never take the same slot.
   */
  private async pump(pipelineId: string): Promise<void> {
    if (this.pumping.has(pipelineId)) {
      this.pumpAgain.add(pipelineId);
      return;
    }
    this.pumping.add(pipelineId);
    try {
      do {
        this.pumpAgain.delete(pipelineId);
        const entry = this.waiting.get(pipelineId);
        // Slots counted once, then used up one launch at a time (a launch joins `live`): one store read per
        // batch of launches, not per child.
        let free = 0;
        while (entry !== undefined && entry.queue.length > 0 && !this.closed) {
          if (free <= 0) {
            let active: number;
            try {
              active = await this.activeRuns(pipelineId, entry.max);
            } catch {
              // The store could not be read now (a pump runs detached: nothing may escape it): count again later.
              this.armRecount();
              break;
            }
            if (active >= entry.max) {
              for (const w of entry.queue.filter((w) => !w.told)) {
                logLine(w.logPath, `waiting for a slot: pipeline ${pipelineId} has ${active} run(s) running, its maxActiveRuns is ${entry.max}`);
                w.told = true;
              }
              this.armRecount();
              break;
            }
            free = entry.max - active;
          }
          free--;
          const next = entry.queue.shift() as WaitingChild;
          try {
            await next.launch();
          } catch (error) {
            // The child run could not be created or linked: the parent's try fails and its retries decide.
            const message = `could not start a run of pipeline ${pipelineId}: ${error instanceof Error ? error.message : String(error)}`;
            logLine(next.logPath, message);
            this.options.deliver(next.tryKey, { outcome: "failure", error: { name: "SubPipelineError", message, retryable: true, kind: "error" } });
          }
        }
        if (entry !== undefined && entry.queue.length === 0) this.waiting.delete(pipelineId);
      } while (this.pumpAgain.has(pipelineId));
    } finally {
      this.pumping.delete(pipelineId);
    }
  }

  private async activeRuns(pipelineId: string, max: number): Promise<number> {
    const mine = this.live.get(pipelineId) ?? new Set<string>();
    const running = await this.options.store.listRuns({ pipelineId, states: ["running"], limit: max + mine.size });
    return running.filter((run) => !mine.has(run.id)).length + mine.size;
  }

  /** A run driven elsewhere (another process, the service's own runs) ends unseen: count again later. */
  private armRecount(): void {
    if (this.recount !== null || this.closed) return;
    this.recount = setTimeout(() => {
      this.recount = null;
      for (const pipelineId of this.waiting.keys()) void this.pump(pipelineId);
    }, RECOUNT_MS);
  }

  private liveOf(pipelineId: string): Set<string> {
    let set = this.live.get(pipelineId);
    if (set === undefined) this.live.set(pipelineId, (set = new Set()));
    return set;
  }

  private forget(tryKey: string, child: RunRecord): void {
    this.children.delete(tryKey);
    this.live.get(child.pipelineId)?.delete(child.id);
    if (this.waiting.has(child.pipelineId)) void this.pump(child.pipelineId);
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
    this.liveOf(child.pipelineId).add(child.id);
    this.options.resume({ ...child, owner: parent.owner }, graph).then(
      (state) => this.ended(job, child, state),
      () => this.forget(job.tryKey, child),
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
    // Still waiting for a slot: it never starts.
    for (const entry of this.waiting.values()) {
      const at = entry.queue.findIndex((w) => w.tryKey === tryKey);
      if (at >= 0) entry.queue.splice(at, 1);
    }
    const child = this.children.get(tryKey);
    if (child !== undefined) this.options.cancel(child, `its parent try was stopped: ${reason}`);
  }

  private ended(job: ParentTry, child: RunRecord, state: RunState): void {
    this.forget(job.tryKey, child);
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

/**
 * The params of the child run: the task's own, with a mapped instance's element merged over them (an object
 * of params; for `map: { name: array }` the element is already `{ name: element }`). A string: what is wrong.
 */
function paramsOf(task: TaskNode, params: Record<string, unknown>, job: TryJob): Record<string, unknown> | string {
  if (!task.mapping || job.mapIndex < 0) return params;
  let element: unknown;
  try {
    element = job.item === undefined ? undefined : decodeValue(job.item);
  } catch {
    element = undefined;
  }
  if (typeof element !== "object" || element === null || Array.isArray(element)) {
    const over = Object.values(task.mapping.over).join(", ");
    return `element ${job.mapIndex} of ${over} is not an object of params for pipeline ${task.subPipeline?.pipelineId ?? "?"}`;
  }
  return { ...params, ...(element as Record<string, unknown>) };
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
