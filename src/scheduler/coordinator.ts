// Drives active runs: takes events (try results, timers, cancellations), asks the engine for decisions,
// commits them in one transaction per tick (group commit), and only then dispatches tries and timers.
// `weir run` uses it for one run; the scheduler service adds the phases that create runs.
import { advanceAll, applyDecision, type InstanceRecord } from "../engine/index.js";
import { isEmptyDecision, type Decision, type EngineEvent } from "../engine/types.js";
import { isTerminalRunState, type RunState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
import type { RunRecord } from "../store/types.js";
import { tryKeyOf, type TryResult } from "../worker/protocol.js";
import type { CoordinatorOptions, Planned, QueuedEvent, RunChange, RunChangeListener } from "./coordinator-types.js";
import { crashPoint } from "./crash-points.js";
import { HeldRequests } from "./held-requests.js";
import { Capacity, claimReady, followTransitions, hasDispatchable, makeReady, type ActiveRun } from "./dispatch.js";
import { loadRunOutputs, newActiveRun, readInstanceRecords, recordInState } from "./run-tracking.js";
import { prepareStart, type PreparedStart } from "./prepared-start.js";
import { resumeInstances, type ResumeTargets } from "./run-resume.js";
import { RunTimers } from "./run-timers.js";
import { needsStore, parseTryKey, readMissingInputs, type PendingJob, type RunOutputs } from "./try-jobs.js";
import { acknowledgeResults, resultEvent } from "./try-results.js";
import { TryRouting } from "./try-routing.js";

export type { CoordinatorOptions, RunChange, RunChangeListener, TickTiming } from "./coordinator-types.js";

export class Coordinator {
  private readonly runs = new Map<string, ActiveRun>();
  private queue: QueuedEvent[] = [];
  private ticking = false;
  private tickScheduled = false;
  private readonly listeners = new Set<RunChangeListener>();
  /** Run requests handed to `request`, until the decision that carries each out commits. */
  private readonly requests = new HeldRequests();
  /** Retry and run-timeout timers, and the keepalive while runs are active. */
  private readonly timers: RunTimers;
  private failure: Error | null = null;
  /** Tries running now, by pool and by pipeline: what pool slots and maxActiveTasks count. */
  private readonly capacity: Capacity;
  /** Cached results and sub-pipeline runs: what a committed try may be instead of a worker's job. */
  private readonly routing: TryRouting;

  /** Where a resumed run's instances go (run-resume.ts). */
  private readonly resumeTargets: ResumeTargets = {
    reattachSubRun: (record, ref) => this.routing.reattach(record, ref),
    reattachTry: (tryKey) => this.options.executor.reattach?.(tryKey) ?? false,
    enqueue: (runId, event) => this.enqueue(runId, event),
    retryAt: (runId, atMs, event) => this.timers.at(runId, atMs, event),
    makeReady: (active, taskId, mapIndex) => this.makeReady(active, taskId, mapIndex),
  };

  constructor(private readonly options: CoordinatorOptions) {
    this.capacity = new Capacity(options.poolSlots, options.executor.freeSlotsOf?.bind(options.executor));
    this.timers = new RunTimers(options.clock, (runId, event) => this.enqueue(runId, event), () => this.scheduleTick());
    const { store, executor, home, pipelines } = options;
    const now = (): number => options.clock.now();
    this.routing = new TryRouting({
      store,
      executor,
      home,
      now,
      pipelines,
      deliver: (tryKey, result) => this.handleResult(tryKey, result, { startedMs: now() }),
      drive: (record, graph) => this.startRun(record, graph),
      resume: (record, graph) => this.resumeRun(record, graph),
      cancel: (runId, reason) => this.cancelRun(runId, reason),
      enqueue: (runId, event) => this.enqueue(runId, event),
      fail: (error) => this.fail(error),
    });
  }

  onChange(listener: RunChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts driving a run created in state `queued`; resolves with its final state. */
  startRun(record: RunRecord, graph: PipelineGraph): Promise<RunState> {
    // A sub-pipeline's child run is started here by its parent's task; the service may find it queued too.
    const driven = this.runs.get(record.id);
    if (driven) return driven.finished;
    const active = this.track(record, graph, record.state, []);
    this.enqueue(record.id, { kind: "run_started" });
    return active.finished;
  }

  /** A run about to be created, started in memory (prepared-start.ts); null: create it queued, use startRun. */
  prepareStart(record: RunRecord, graph: PipelineGraph, nowMs: number): PreparedStart | null {
    return prepareStart(newActiveRun(record, graph, record.state, [], undefined, this.routing.inline), nowMs);
  }

  /** The prepared run was inserted started (its first decision with it): driven from there. */
  startPrepared(prepared: PreparedStart): Promise<RunState> {
    if (this.failure) return Promise.reject(this.failure);
    const { active, decision } = prepared;
    this.register(active);
    followTransitions(active, decision.transitions, this.capacity);
    this.afterCommit(decision);
    this.scheduleTick();
    return active.finished;
  }

  /** Ends a run that never started (its backfill was canceled): its instances are canceled. */
  cancelQueuedRun(record: RunRecord, graph: PipelineGraph, reason: string): Promise<RunState> {
    const active = this.track(record, graph, record.state, []);
    this.enqueue(record.id, { kind: "run_cancel_requested", reason });
    return active.finished;
  }

  /**
   * Takes over a run after its driver died: tries that were queued or running are recorded as lost and
   * retried (without using the task's retries), retry timers are re-armed, scheduled instances dispatched.
   */
  async resumeRun(record: RunRecord, graph: PipelineGraph): Promise<RunState> {
    if (isTerminalRunState(record.state)) return record.state;
    const driven = this.runs.get(record.id);
    if (driven) return driven.finished;
    const instances = await readInstanceRecords(this.options.store, record.id);
    const outputs = await loadRunOutputs(this.options.store, record.id, graph, this.routing.inline);
    const active = this.track(record, graph, record.state, instances, outputs);
    this.enqueue(record.id, { kind: record.state === "queued" ? "run_started" : "run_reconciled" });
    this.timers.runTimeout(active);
    resumeInstances(record, active, instances, this.resumeTargets);
    this.scheduleTick();
    return active.finished;
  }

  /** Asks for a run to be canceled: running tries are stopped, unfinished instances canceled. */
  cancelRun(runId: string, reason: string): void {
    this.enqueue(runId, { kind: "run_cancel_requested", reason });
  }

  /**
   * A user's command for a run this coordinator drives (clear, mark, cancel from the API): the event goes
   * through the same tick as results, so nothing is written under the run. False when it doesn't drive it.
   * With `requestId` (a run request of another process), the decision that carries the event out records the
   * request done in its own transaction (`Decision.requestIds`), even when the event changes nothing.
   */
  request(runId: string, event: EngineEvent, requestId?: string): boolean {
    if (!this.runs.has(runId)) return false;
    if (requestId !== undefined) this.requests.hold(event, requestId);
    this.enqueue(runId, event);
    return true;
  }

  /** Whether this scheduler may read a try's output itself (else only workers do): see RunOutputs.decodesOutputOf. */
  decodesOutput(tryKey: string): boolean {
    const parsed = parseTryKey(tryKey);
    const active = parsed === null ? undefined : this.runs.get(parsed.runId);
    // A run not driven (yet): it may be resumed here, with its outputs read then.
    return parsed !== null && (active === undefined || active.outputs.decodesOutputOf(parsed.taskId, parsed.mapIndex));
  }

  /** Whether a run request handed to `request` is still on its way to a commit here. */
  holdsRequest(requestId: string): boolean {
    return this.requests.holds(requestId);
  }

  /** Instances waiting in the ready queues of the runs it drives (metrics: the ready-queue depth). */
  readyDepth(): number {
    let depth = 0;
    for (const active of this.runs.values()) depth += active.ready.size;
    return depth;
  }

  /** Whether this coordinator drives the run now. */
  drives(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** The executor has room again (a worker started or was replaced): look for work to dispatch. */
  wake(): void {
    this.scheduleTick();
  }

  /** Called by the executor when a try ends. */
  readonly handleResult = (tryKey: string, result: TryResult, timing?: { startedMs: number }): void => {
    crashPoint("on_result");
    const parsed = parseTryKey(tryKey);
    if (!parsed) return;
    const facts = this.routing.onResult(tryKey, result);
    if (facts === null) return;
    const event = resultEvent(parsed, result, facts, timing, this.runs.get(parsed.runId)?.outputs);
    if (event !== null) this.enqueue(parsed.runId, event);
  };

  /** The store error that stopped this coordinator for good (its runs were rejected with it), or null. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Stops timers; active runs stay as they are in the store (resumable). */
  close(): void {
    this.timers.close();
    this.routing.close();
  }

  activeRunIds(): string[] {
    return [...this.runs.keys()];
  }

  private track(record: RunRecord, graph: PipelineGraph, state: RunState, instances: readonly InstanceRecord[], outputs?: RunOutputs): ActiveRun {
    return this.register(newActiveRun(record, graph, state, instances, outputs, this.routing.inline));
  }

  private register(active: ActiveRun): ActiveRun {
    this.runs.set(active.record.id, active);
    // Tries already running (a resumed or rebuilt run) hold their slots until they end.
    for (const instance of active.snapshot.instances.values()) if (instance.state === "running") this.countRunning(active, instance.taskId, 1);
    this.timers.startKeepalive();
    return active;
  }

  private enqueue(runId: string, event: EngineEvent): void {
    this.queue.push({ runId, event });
    this.scheduleTick();
  }

  private scheduleTick(): void {
    if (this.tickScheduled || this.ticking || this.failure) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      void this.tick();
    });
  }

  /** Never rejects: a failure stops the coordinator and rejects the active runs' promises with it. */
  private async tick(): Promise<void> {
    if (this.ticking || this.failure) return;
    this.ticking = true;
    const tickStart = performance.now();
    try {
      const nowMs = this.options.clock.now();
      const planned: Planned[] = [];
      const batch = this.queue;
      this.queue = [];
      // One decision per run per tick: the engine takes the run's events of this tick together.
      const byRun = new Map<string, EngineEvent[]>();
      for (const { runId, event } of batch) {
        const events = byRun.get(runId);
        if (events) events.push(event);
        else byRun.set(runId, [event]);
      }
      for (const [runId, events] of byRun) {
        const active = this.runs.get(runId);
        if (active) this.decide(active, events, nowMs, planned, true, []);
        else {
          // A run no longer driven here (it ended): nothing will commit these results, nothing needs them; its
          // run requests stay pending, for the service to refuse.
          acknowledgeResults(this.options.executor, [{ runId, events }]);
          this.requests.release(events);
        }
      }
      this.dispatch(nowMs, planned);
      if (planned.length === 0) return;

      crashPoint("before_commit");
      const commitStart = performance.now();
      const result = await this.options.store.applyDecisions(planned.map((p) => p.decision), this.options.fence);
      const commitMs = performance.now() - commitStart;
      crashPoint("after_commit");

      // Committed: now the outside world may see it (DESIGN.md §7: actions after commit, an outbox).
      const conflicted = new Set(result.conflicts.map((c) => c.index));
      // Only an executor that keeps results until their commit (a store queue) is told; the local pool isn't.
      if (this.options.executor.committed) acknowledgeResults(this.options.executor, planned.filter((p, index) => p.replayable && !conflicted.has(index)).map((p) => ({ runId: p.decision.runId, events: p.events })));
      for (const [index, item] of planned.entries()) {
        if (conflicted.has(index)) continue;
        if (item.decision.requestIds) this.requests.release(item.events);
        for (const pending of item.jobs) {
          if (needsStore(pending)) await readMissingInputs(this.options.store, pending);
          // Awaited only when routing is asynchronous (cache, sub-pipeline): see TryRouting.route.
          const routed = this.routing.route(this.runs.get(item.decision.runId), pending.job);
          if (routed) await routed;
          crashPoint("after_dispatch");
        }
        this.afterCommit(item.decision);
      }
      if (conflicted.size > 0) await this.recover(planned.filter((_, index) => conflicted.has(index)));
      this.options.onTick?.({ tickMs: performance.now() - tickStart, commitMs, decisions: planned.length });
    } catch (error) {
      this.fail(error);
    } finally {
      this.ticking = false;
      if (!this.failure && (this.queue.length > 0 || this.hasDispatchable())) this.scheduleTick();
    }
  }

  /**
   * Some decisions were rolled back (someone else changed the rows): rebuild those runs from the store,
   * the source of truth, and deliver their rolled-back facts again (guards make a replay harmless).
   */
  private async recover(rolledBack: readonly Planned[]): Promise<void> {
    const runIds = new Set(rolledBack.map((p) => p.decision.runId));
    for (const runId of runIds) await this.reload(runId);
    for (const item of rolledBack) {
      if (!item.replayable) continue;
      for (const event of item.events) {
        // The rebuilt run's outputs come from the store: a success not committed yet is kept again.
        if (event.kind === "try_succeeded") this.runs.get(item.decision.runId)?.outputs.recordSuccess(event.taskId, event.mapIndex, event.output);
        this.enqueue(item.decision.runId, event);
      }
    }
  }

  private fail(error: unknown): void {
    // A store failure leaves memory ahead of the database: stop; the runs are resumable from the store.
    this.failure = error instanceof Error ? error : new Error(String(error));
    for (const active of this.runs.values()) active.reject(this.failure);
    this.runs.clear();
    this.close();
  }

  private decide(active: ActiveRun, events: readonly EngineEvent[], nowMs: number, planned: Planned[], replayable: boolean, jobs: PendingJob[]): void {
    const decision = advanceAll(active.snapshot, events, nowMs);
    const requestIds = this.requests.idsOf(events);
    if (requestIds.length > 0) decision.requestIds = requestIds;
    if (isEmptyDecision(decision)) return;
    applyDecision(active.snapshot, decision);
    // Only a clear or a mark takes an instance out of success (and only a clear collapses): outputs follow.
    if (events.some((e) => e.kind === "instances_cleared" || e.kind === "instance_marked")) active.outputs.forgetReplaced(decision);
    followTransitions(active, decision.transitions, this.capacity);
    planned.push({ decision, events, replayable, jobs });
  }

  private hasDispatchable(): boolean {
    return hasDispatchable(this.runs.values(), this.capacity, this.options.executor.freeSlots());
  }

  /** Claims scheduled instances for the free worker slots (dispatch.ts): one decision per run. */
  private dispatch(nowMs: number, planned: Planned[]): void {
    // No early return when no worker is free: deferred sensors are claimed without one (dispatch.ts).
    const free = this.options.executor.freeSlots();
    for (const [active, claim] of claimReady(this.runs.values(), this.capacity, free, this.options.home)) {
      this.decide(active, claim.events, nowMs, planned, false, claim.jobs);
    }
  }

  private makeReady(active: ActiveRun, taskId: string, mapIndex: number): void {
    makeReady(active, taskId, mapIndex);
  }

  private countRunning(active: ActiveRun, taskId: string, delta: number): void {
    this.capacity.count(active, taskId, delta);
  }

  private afterCommit(decision: Decision): void {
    const active = this.runs.get(decision.runId);
    if (!active) return;
    for (const action of decision.actions) {
      if (action.kind === "cancel_try") {
        const tryKey = tryKeyOf(decision.runId, action.taskId, action.mapIndex, action.tryNumber);
        this.options.executor.abort(tryKey, "canceled");
        this.routing.abort(tryKey, action.reason);
      } else if (action.kind === "notify") {
        this.options.outbox?.kick();
      }
    }
    for (const timer of decision.timers) this.timers.at(decision.runId, timer.atMs, timer.event);
    if (decision.run) {
      const starts = decision.run.to === "running" && active.record.startedMs === null;
      active.record = recordInState(active.record, decision.run.to, decision.nowMs);
      if (starts) this.timers.runTimeout(active);
    }
    const change: RunChange = { run: active.record, transitions: decision.transitions, runState: active.snapshot.state, nowMs: decision.nowMs };
    for (const listener of this.listeners) listener(change);
    if (decision.run && isTerminalRunState(decision.run.to)) this.finish(active, decision.run.to);
  }

  private finish(active: ActiveRun, state: RunState): void {
    this.runs.delete(active.record.id);
    this.routing.runEnded(active.record.id);
    // A run whose sub-pipeline tries were stopped ends once their child runs have ended too.
    const children = this.routing.childRunsOf(active.record.id).flatMap((id) => this.runs.get(id)?.finished ?? []);
    if (children.length > 0) void Promise.allSettled(children).then(() => active.resolve(state));
    else active.resolve(state);
    if (this.runs.size === 0) this.timers.stopKeepalive();
  }

  /** Memory is rebuilt from the store after a guard conflict. */
  private async reload(runId: string): Promise<void> {
    const active = this.runs.get(runId);
    if (!active) return;
    this.runs.delete(runId);
    // Its running tries are counted again from the store's view below.
    for (const instance of active.snapshot.instances.values()) if (instance.state === "running") this.countRunning(active, instance.taskId, -1);
    const record = await this.options.store.getRun(runId);
    if (!record) {
      active.reject(new Error(`run ${runId} is no longer in the store`));
      return;
    }
    if (isTerminalRunState(record.state)) {
      active.resolve(record.state);
      return;
    }
    const instances = await readInstanceRecords(this.options.store, runId);
    const outputs = await loadRunOutputs(this.options.store, runId, active.graph, this.routing.inline);
    const fresh = this.track(record, active.graph, record.state, instances, outputs);
    fresh.finished = active.finished;
    fresh.resolve = active.resolve;
    fresh.reject = active.reject;
    for (const i of instances) if (i.state === "scheduled") this.makeReady(fresh, i.taskId, i.mapIndex);
    // Another writer may have finished an upstream without scheduling what follows it.
    this.enqueue(runId, { kind: record.state === "queued" ? "run_started" : "run_reconciled" });
    this.timers.runTimeout(fresh);
  }
}
