// Which scheduled instances start now: the runs a coordinator drives, the capacity they share (pool slots,
// a pipeline's maxActiveTasks, a mapped task's maxParallel), and the claim loop that hands free worker slots
// to the highest priority first, runs of equal priority taking turns.
import type { EngineEvent, InstanceTransition, RunSnapshot } from "../engine/types.js";
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
  /**
   * Tries claimed by the claim loop under way, not counted above yet (the decision counts them once applied):
   * by pool, by pipeline, by executor queue, and per limited task of a run. Cleared when the loop ends.
   */
  private readonly claimingByPool = new Map<string, number>();
  private readonly claimingByPipeline = new Map<string, number>();
  private readonly claimingByQueue = new Map<string, number>();
  private readonly claimingByTask = new Map<ActiveRun, Map<string, number>>();

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
    if (task !== undefined && isDeferredSensor(task)) return;
    // Only a task with its own limit is counted per task: nothing else reads that count (taskHasRoom).
    if (limitOf(task) !== null) active.runningByTask.set(taskId, (active.runningByTask.get(taskId) ?? 0) + delta);
    if (task?.kind === "pipeline") return;
    const pool = task?.pool ?? "default";
    this.runningByPool.set(pool, (this.runningByPool.get(pool) ?? 0) + delta);
    const pipeline = active.record.pipelineId;
    this.runningByPipeline.set(pipeline, (this.runningByPipeline.get(pipeline) ?? 0) + delta);
  }

  /** Whether an instance of this pool (and, for a task with `maxParallel`, of this task) may start now. */
  roomIn(active: ActiveRun): (pool: string, limited: string | null, queue?: string) => boolean {
    return (pool, limited, queue = "default") => this.hasRoom(active, pool, limited, queue);
  }

  hasRoom(active: ActiveRun, pool: string, limited: string | null, queue: string): boolean {
    return this.poolHasRoom(pool) && this.queueHasRoom(queue) && (limited === null || this.taskHasRoom(active, limited));
  }

  /** A claim of the loop under way takes a slot of its pool, pipeline, queue and (when limited) task. */
  claiming(active: ActiveRun, task: TaskNode): void {
    if (limitOf(task) !== null) {
      let byTask = this.claimingByTask.get(active);
      if (byTask === undefined) this.claimingByTask.set(active, (byTask = new Map()));
      byTask.set(task.id, (byTask.get(task.id) ?? 0) + 1);
    }
    if (task.kind !== "pipeline") {
      const pool = task.pool ?? "default";
      this.claimingByPool.set(pool, (this.claimingByPool.get(pool) ?? 0) + 1);
      const pipeline = active.record.pipelineId;
      this.claimingByPipeline.set(pipeline, (this.claimingByPipeline.get(pipeline) ?? 0) + 1);
    }
    if (this.queueFree !== undefined) {
      const queue = task.queue ?? "default";
      this.claimingByQueue.set(queue, (this.claimingByQueue.get(queue) ?? 0) + 1);
    }
  }

  /** The claim loop ended: its claims are in decisions now, counted when those are applied. */
  claimed(): void {
    this.claimingByPool.clear();
    this.claimingByPipeline.clear();
    this.claimingByQueue.clear();
    this.claimingByTask.clear();
  }

  private queueHasRoom(queue: string): boolean {
    return this.queueFree === undefined || this.queueFree(queue) > (this.claimingByQueue.get(queue) ?? 0);
  }

  pipelineHasRoom(active: ActiveRun): boolean {
    const limit = active.graph.maxActiveTasks;
    if (limit === null) return true;
    const pipeline = active.record.pipelineId;
    return (this.runningByPipeline.get(pipeline) ?? 0) + (this.claimingByPipeline.get(pipeline) ?? 0) < limit;
  }

  private poolHasRoom(pool: string): boolean {
    const slots = this.poolSlots === undefined ? Infinity : this.poolSlots(pool);
    return slots === Infinity || (this.runningByPool.get(pool) ?? 0) + (this.claimingByPool.get(pool) ?? 0) < slots;
  }

  private taskHasRoom(active: ActiveRun, taskId: string): boolean {
    const limit = limitOf(active.tasks.get(taskId));
    return limit === null || (active.runningByTask.get(taskId) ?? 0) + (this.claimingByTask.get(active)?.get(taskId) ?? 0) < limit;
  }
}

/** A task's own limit of tries at once (a mapped task's `maxParallel`), or null. */
function limitOf(task: TaskNode | undefined): number | null {
  return task === undefined ? null : (mappingOf(task)?.maxParallel ?? null);
}

/** Puts a scheduled instance in its run's ready queue (in a lane of its own when its task has maxParallel). */
export function makeReady(active: ActiveRun, taskId: string, mapIndex: number): void {
  const task = active.tasks.get(taskId);
  // A deferred sensor is handed to the trigger loop even while every worker is busy.
  if (task && isDeferredSensor(task)) return active.ready.addNoWorker(instanceKey(taskId, mapIndex));
  const limited = mappingOf(task)?.maxParallel ? taskId : null;
  active.ready.add(instanceKey(taskId, mapIndex), task?.pool ?? "default", task?.priority ?? 0, limited, task?.queue ?? "default");
}

/**
 * What a decision's transitions change in the dispatcher's view of its run: an instance scheduled waits in the
 * ready queue, one leaving scheduled leaves it (only scheduled instances wait there), and a try that starts or
 * ends takes or gives back its capacity.
 */
export function followTransitions(active: ActiveRun, transitions: readonly InstanceTransition[], capacity: Capacity): void {
  for (let i = 0; i < transitions.length; i++) {
    const t = transitions[i] as InstanceTransition;
    if (t.to === "scheduled") makeReady(active, t.taskId, t.mapIndex);
    else if (t.from === "scheduled") active.ready.delete(instanceKey(t.taskId, t.mapIndex));
    if (t.to === "running" && t.from === "queued") capacity.count(active, t.taskId, 1);
    else if (t.from === "running" && t.to !== "running") capacity.count(active, t.taskId, -1);
  }
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
  /** try_dispatched (queued and started) of each claimed instance: the try is committed running before it is sent. */
  events: EngineEvent[];
  jobs: PendingJob[];
}

/** A run's next candidate for a free slot. */
class Candidate {
  constructor(
    readonly active: ActiveRun,
    readonly entry: ReadyEntry,
  ) {}
}

/**
 * Claims scheduled instances for `free` worker slots: each time the highest priority among the runs' next
 * candidates whose pool, pipeline and task have room; runs with equal priority take turns. Each run's next
 * candidate is computed once, and again only for the run that changed. Index loops and small helpers: this
 * loop runs once per claimed instance, and its size is what V8's optimizing compiler pays for.
 */
export function claimReady(runs: Iterable<ActiveRun>, capacity: Capacity, free: number, home: string): Map<ActiveRun, Claim> {
  const claims = new Map<ActiveRun, Claim>();
  const all = [...runs];
  for (let i = 0; i < all.length; i++) claimNoWorker(all[i] as ActiveRun, claims, home);
  if (free <= 0) return claims;
  const candidates: Candidate[] = [];
  for (let i = 0; i < all.length; i++) pushNext(candidates, all[i] as ActiveRun, capacity);
  while (free > 0 && candidates.length > 0) {
    const best = bestOf(candidates);
    const { active } = candidates[best] as Candidate;
    let entry: ReadyEntry | undefined = (candidates[best] as Candidate).entry;
    // Taken out in place (the others keep their order): the last one, the usual case, costs no shift.
    if (best === candidates.length - 1) candidates.pop();
    else candidates.splice(best, 1);
    // While this run is the only candidate (one run, the usual case) its next entry is taken straight away.
    do {
      // A claim since this candidate was computed may have filled its pool, pipeline or task: then look again.
      if (capacity.hasRoom(active, entry.pool, entry.limited, entry.queue) && capacity.pipelineHasRoom(active) && claimEntry(claims, active, entry, capacity, home)) free--;
      entry = nextOf(active, capacity);
    } while (entry !== undefined && free > 0 && candidates.length === 0);
    if (entry !== undefined) candidates.push(new Candidate(active, entry));
  }
  capacity.claimed();
  return claims;
}

function pushNext(candidates: Candidate[], active: ActiveRun, capacity: Capacity): void {
  const entry = nextOf(active, capacity);
  if (entry !== undefined) candidates.push(new Candidate(active, entry));
}

/** The first candidate of the highest priority. */
function bestOf(candidates: readonly Candidate[]): number {
  let best = 0;
  for (let i = 1; i < candidates.length; i++) if ((candidates[i] as Candidate).entry.priority > (candidates[best] as Candidate).entry.priority) best = i;
  return best;
}

/** Takes the entry out of the ready queue and claims its instance if it is still scheduled. */
function claimEntry(claims: Map<ActiveRun, Claim>, active: ActiveRun, entry: ReadyEntry, capacity: Capacity, home: string): boolean {
  active.ready.delete(entry.key);
  const instance = active.snapshot.instances.get(entry.key);
  if (instance === undefined || instance.state !== "scheduled") return false;
  const task = active.tasks.get(instance.taskId);
  if (task === undefined) return false;
  addClaim(claims, active, instance, task, home);
  // Counted now, so later claims of this loop see the slot taken.
  capacity.claiming(active, task);
  return true;
}

/** The instance's next try, queued and started in the claim's events, its job beside them. */
function addClaim(claims: Map<ActiveRun, Claim>, active: ActiveRun, instance: { taskId: string; mapIndex: number; tryNumber: number }, task: TaskNode, home: string): void {
  const tryNumber = instance.tryNumber + 1;
  const { taskId, mapIndex } = instance;
  const claim = claims.get(active) ?? { events: [], jobs: [] };
  // Literals, not spreads of a shared ref: each event kind keeps one hidden class wherever it is made.
  claim.events.push({ kind: "try_dispatched", taskId, mapIndex, tryNumber, worker: "local" });
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
