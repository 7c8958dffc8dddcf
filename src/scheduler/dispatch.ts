// Which scheduled instances start now: the runs a coordinator drives, the capacity they share (pool slots,
// a pipeline's maxActiveTasks, a mapped task's maxParallel), and the claim loop that hands free worker slots
// to the highest priority first, runs of equal priority taking turns.
import type { EngineEvent, RunSnapshot } from "../engine/types.js";
import { instanceKey } from "../engine/types.js";
import type { RunState } from "../engine/states.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import type { RunRecord } from "../store/types.js";
import type { ReadyEntry, ReadyQueue } from "./ready-queue.js";
import { isDeferredSensor } from "./sensor-handoff.js";
import { buildJob, mappingOf, type PendingJob, type RunOutputs } from "./try-jobs.js";

/** A run a coordinator drives: its snapshot, what waits to start, and what its tasks produced. */
export interface ActiveRun {
  record: RunRecord;
  graph: PipelineGraph;
  tasks: Map<string, TaskNode>;
  snapshot: RunSnapshot;
  /** Instances in `scheduled`, waiting for a free worker and their pool's, pipeline's and task's limits. */
  ready: ReadyQueue;
  /** Outputs of successful instances, for downstream inputs and mapped items without a store read. */
  outputs: RunOutputs;
  /** Tries running now, per task: what a mapped task's `maxParallel` limits. */
  runningByTask: Map<string, number>;
  finished: Promise<RunState>;
  resolve: (state: RunState) => void;
  reject: (error: Error) => void;
}

/** Tries running now, by pool and by pipeline (across runs), and per task within a run. */
export class Capacity {
  private readonly runningByPool = new Map<string, number>();
  private readonly runningByPipeline = new Map<string, number>();
  /** Tries claimed by the claim loop under way, by executor queue: not submitted yet, so not counted there. */
  private readonly claimingByQueue = new Map<string, number>();

  /** `queueFree`: the executor's free slots of a queue, where it has them per queue (Executor.freeSlotsOf). */
  constructor(
    private readonly poolSlots?: (pool: string) => number,
    private readonly queueFree?: (queue: string) => number,
  ) {}

  count(active: ActiveRun, taskId: string, delta: number): void {
    // A sub-pipeline task waits for its child run without a worker: it takes no slot of its pool or pipeline.
    // Nor does a deferred sensor, whose try goes to the trigger loop (docs/adr/0007).
    // It still counts against its task's maxParallel: a mapped sub-pipeline's child runs are what that bounds.
    const task = active.tasks.get(taskId);
    if (task && isDeferredSensor(task)) return;
    active.runningByTask.set(taskId, (active.runningByTask.get(taskId) ?? 0) + delta);
    if (task?.kind === "pipeline") return;
    const pool = active.tasks.get(taskId)?.pool ?? "default";
    this.runningByPool.set(pool, (this.runningByPool.get(pool) ?? 0) + delta);
    const pipeline = active.record.pipelineId;
    this.runningByPipeline.set(pipeline, (this.runningByPipeline.get(pipeline) ?? 0) + delta);
  }

  /** Whether an instance of this pool (and, for a task with `maxParallel`, of this task) may start now. */
  roomIn(active: ActiveRun): (pool: string, limited: string | null, queue?: string) => boolean {
    return (pool, limited, queue = "default") => this.poolHasRoom(pool) && this.queueHasRoom(queue) && (limited === null || this.taskHasRoom(active, limited));
  }

  /** A claim of the loop under way takes a slot of its queue (`null`: the loop ended, none is pending). */
  claiming(queue: string | null): void {
    if (queue === null) this.claimingByQueue.clear();
    else if (this.queueFree) this.claimingByQueue.set(queue, (this.claimingByQueue.get(queue) ?? 0) + 1);
  }

  private queueHasRoom(queue: string): boolean {
    return this.queueFree === undefined || this.queueFree(queue) > (this.claimingByQueue.get(queue) ?? 0);
  }

  pipelineHasRoom(active: ActiveRun): boolean {
    const limit = active.graph.maxActiveTasks;
    return limit === null || (this.runningByPipeline.get(active.record.pipelineId) ?? 0) < limit;
  }

  private poolHasRoom(pool: string): boolean {
    const slots = this.poolSlots?.(pool) ?? Infinity;
    return (this.runningByPool.get(pool) ?? 0) < slots;
  }

  private taskHasRoom(active: ActiveRun, taskId: string): boolean {
    const limit = mappingOf(active.tasks.get(taskId))?.maxParallel ?? null;
    return limit === null || (active.runningByTask.get(taskId) ?? 0) < limit;
  }
}

/** Puts a scheduled instance in its run's ready queue (in a lane of its own when its task has maxParallel). */
export function makeReady(active: ActiveRun, taskId: string, mapIndex: number): void {
  const task = active.tasks.get(taskId);
  // A deferred sensor is handed to the trigger loop even while every worker is busy.
  if (task && isDeferredSensor(task)) return active.ready.addNoWorker(instanceKey(taskId, mapIndex));
  const limited = mappingOf(task)?.maxParallel ? taskId : null;
  active.ready.add(instanceKey(taskId, mapIndex), task?.pool ?? "default", task?.priority ?? 0, limited, task?.queue ?? "default");
}

function nextOf(active: ActiveRun, capacity: Capacity): ReadyEntry | undefined {
  return active.ready.size > 0 && capacity.pipelineHasRoom(active) ? active.ready.peek(capacity.roomIn(active)) : undefined;
}

/** Whether a claim would take something: an instance needing no worker, or one for a free worker slot. */
export function hasDispatchable(runs: Iterable<ActiveRun>, capacity: Capacity, free: number): boolean {
  for (const active of runs) if (active.ready.noWorkerSize > 0 || (free > 0 && nextOf(active, capacity))) return true;
  return false;
}

export interface Claim {
  /** try_queued and try_started of each claimed instance: the try is committed running before it is sent. */
  events: EngineEvent[];
  jobs: PendingJob[];
}

/**
 * Claims scheduled instances for `free` worker slots: each time the highest priority among the runs' next
 * candidates whose pool, pipeline and task have room; runs with equal priority take turns. Each run's next
 * candidate is computed once, and again only for the run that changed.
 */
export function claimReady(runs: Iterable<ActiveRun>, capacity: Capacity, free: number, home: string): Map<ActiveRun, Claim> {
  const claims = new Map<ActiveRun, Claim>();
  const candidates: { active: ActiveRun; entry: ReadyEntry }[] = [];
  const all = [...runs];
  for (const active of all) claimNoWorker(active, claims, home);
  if (free <= 0) return claims;
  for (const active of all) {
    const entry = nextOf(active, capacity);
    if (entry) candidates.push({ active, entry });
  }
  while (free > 0 && candidates.length > 0) {
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if ((candidates[i] as { entry: ReadyEntry }).entry.priority > (candidates[best] as { entry: ReadyEntry }).entry.priority) best = i;
    const { active, entry } = candidates.splice(best, 1)[0] as { active: ActiveRun; entry: ReadyEntry };
    if (!capacity.roomIn(active)(entry.pool, entry.limited, entry.queue) || !capacity.pipelineHasRoom(active)) {
      // A claim since this candidate was computed filled its pool, pipeline or task: look again.
      const again = nextOf(active, capacity);
      if (again) candidates.push({ active, entry: again });
      continue;
    }
    active.ready.delete(entry.key);
    const instance = active.snapshot.instances.get(entry.key);
    const task = instance && active.tasks.get(instance.taskId);
    if (instance && task && instance.state === "scheduled") {
      addClaim(claims, active, instance, task, home);
      // Counted now, so later claims see the slot taken (undone below: the decision counts it once applied).
      capacity.count(active, task.id, 1);
      capacity.claiming(task.queue);
      free--;
    }
    const following = nextOf(active, capacity);
    if (following) candidates.push({ active, entry: following });
  }
  for (const [active, claim] of claims) for (const job of claim.jobs) capacity.count(active, job.job.taskId, -1);
  capacity.claiming(null);
  return claims;
}

/** The instance's next try, queued and started in the claim's events, its job beside them. */
function addClaim(claims: Map<ActiveRun, Claim>, active: ActiveRun, instance: { taskId: string; mapIndex: number; tryNumber: number }, task: TaskNode, home: string): void {
  const tryNumber = instance.tryNumber + 1;
  const { taskId, mapIndex } = instance;
  const claim = claims.get(active) ?? { events: [], jobs: [] };
  // Literals, not spreads of a shared ref: each event kind keeps one hidden class wherever it is made.
  claim.events.push({ kind: "try_queued", taskId, mapIndex, tryNumber }, { kind: "try_started", taskId, mapIndex, tryNumber, worker: "local" });
  claim.jobs.push(buildJob(home, active.record, task, active.outputs, active.snapshot, instance.mapIndex, tryNumber, active.tasks));
  claims.set(active, claim);
}

/** Claims a run's instances that need no worker (deferred sensors: no worker, pool or pipeline slot). */
function claimNoWorker(active: ActiveRun, claims: Map<ActiveRun, Claim>, home: string): void {
  if (active.ready.noWorkerSize === 0) return;
  for (const key of active.ready.takeNoWorker()) {
    const instance = active.snapshot.instances.get(key);
    const task = instance && active.tasks.get(instance.taskId);
    if (!instance || !task || instance.state !== "scheduled") continue;
    addClaim(claims, active, instance, task, home);
  }
}
