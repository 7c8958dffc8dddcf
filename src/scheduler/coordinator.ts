// Drives active runs: takes events (try results, timers, cancellations), asks the engine for decisions,
// commits them in one transaction per tick (group commit), and only then dispatches tries and timers.
// `weir run` uses it for one run; the scheduler service adds the phases that create runs.
import { advanceAll, applyDecision, compileEngineGraph, createRunSnapshot } from "../engine/index.js";
import { instanceKey, isEmptyDecision, type Decision, type EngineEvent, type InstanceTransition, type RunSnapshot } from "../engine/types.js";
import { isTerminalRunState, type RunState, type TaskState } from "../engine/states.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { tryLogPath } from "../observe/try-log-path.js";
import type { RunRecord, Store } from "../store/types.js";
import { tryKeyOf, type TryJob, type TryResult } from "../worker/protocol.js";
import type { Clock } from "./clock.js";
import type { Executor } from "./executor.js";
import { crashPoint } from "./crash-points.js";
import { lostTryFailure } from "./lost-try.js";

/** What a listener hears after a decision is committed. */
export interface RunChange {
  run: RunRecord;
  transitions: readonly InstanceTransition[];
  runState: RunState;
  nowMs: number;
}

export type RunChangeListener = (change: RunChange) => void;

interface ActiveRun {
  record: RunRecord;
  graph: PipelineGraph;
  tasks: Map<string, TaskNode>;
  snapshot: RunSnapshot;
  /** Instances in `scheduled`, waiting for a free worker, in the order they became ready. */
  ready: Set<string>;
  /** Encoded outputs of successful tasks, for downstream inputs without a store read. */
  outputs: Map<string, string>;
  finished: Promise<RunState>;
  resolve: (state: RunState) => void;
}

interface InstanceRow {
  taskId: string;
  mapIndex: number;
  state: TaskState;
  tryNumber: number;
  retryAtMs: number | null;
}

interface PendingJob {
  job: TryJob;
  /** Input name → upstream task id of outputs too large to keep in memory: read before submitting. */
  missing: Map<string, string>;
}

interface QueuedEvent {
  runId: string;
  event: EngineEvent;
}

/** Outputs bigger than this are read from the store when needed instead of kept in memory. */
const OUTPUT_CACHE_MAX_CHARS = 64 * 1024;

export interface CoordinatorOptions {
  store: Store;
  executor: Executor;
  clock: Clock;
  /** WEIR_HOME: where try logs go. */
  home: string;
}

export class Coordinator {
  private readonly runs = new Map<string, ActiveRun>();
  private queue: QueuedEvent[] = [];
  private ticking = false;
  private tickScheduled = false;
  private readonly listeners = new Set<RunChangeListener>();
  private readonly timers = new Set<() => void>();
  private failure: Error | null = null;

  constructor(private readonly options: CoordinatorOptions) {}

  onChange(listener: RunChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts driving a run created in state `queued`; resolves with its final state. */
  startRun(record: RunRecord, graph: PipelineGraph): Promise<RunState> {
    const active = this.track(record, graph, record.state, []);
    this.enqueue(record.id, { kind: "run_started" });
    return active.finished;
  }

  /**
   * Takes over a run after its driver died: tries that were queued or running are recorded as lost and
   * retried per policy, retry timers are re-armed, and scheduled instances are dispatched.
   */
  async resumeRun(record: RunRecord, graph: PipelineGraph): Promise<RunState> {
    if (isTerminalRunState(record.state)) return record.state;
    const instances = await this.options.store.listTaskInstances(record.id);
    const active = this.track(record, graph, record.state, instances);
    const needed = new Set<string>();
    for (const task of graph.tasks) for (const up of Object.values(task.needs)) needed.add(up);
    const outputs = await this.options.store.getOutputs(record.id, [...needed]);
    for (const [taskId, output] of outputs) if (output.length <= OUTPUT_CACHE_MAX_CHARS) active.outputs.set(taskId, output);

    if (record.state === "queued") this.enqueue(record.id, { kind: "run_started" });
    for (const instance of instances) {
      const ref = { taskId: instance.taskId, mapIndex: instance.mapIndex, tryNumber: instance.tryNumber };
      if (instance.state === "queued" || instance.state === "running") {
        const error = lostTryFailure("the process driving the run stopped while the try was in flight");
        this.enqueue(record.id, { kind: "try_failed", ...ref, error });
      } else if (instance.state === "up_for_retry") {
        this.armTimer(record.id, instance.retryAtMs ?? 0, { kind: "retry_due", taskId: instance.taskId, mapIndex: instance.mapIndex });
      } else if (instance.state === "scheduled") {
        active.ready.add(instanceKey(instance.taskId, instance.mapIndex));
      }
    }
    this.scheduleTick();
    return active.finished;
  }

  /** Asks for a run to be canceled: running tries are stopped, unfinished instances canceled. */
  cancelRun(runId: string, reason: string): void {
    this.enqueue(runId, { kind: "run_cancel_requested", reason });
  }

  /** Called by the executor when a try ends. */
  readonly handleResult = (tryKey: string, result: TryResult, timing?: { startedMs: number }): void => {
    crashPoint("on_result");
    const parsed = parseTryKey(tryKey);
    if (!parsed) return;
    const { runId, ...rest } = parsed;
    const ref = timing === undefined ? rest : { ...rest, startedMs: timing.startedMs };
    switch (result.outcome) {
      case "success":
        this.enqueue(runId, { kind: "try_succeeded", ...ref, output: result.output });
        break;
      case "failure":
        this.enqueue(runId, { kind: "try_failed", ...ref, error: result.error });
        break;
      case "skipped":
        this.enqueue(runId, { kind: "try_skipped", ...ref, reason: result.reason });
        break;
    }
  };

  /** Stops timers; active runs stay as they are in the store (resumable). */
  close(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  activeRunIds(): string[] {
    return [...this.runs.keys()];
  }

  private track(record: RunRecord, graph: PipelineGraph, state: RunState, instances: readonly InstanceRow[]): ActiveRun {
    const engineGraph = compileEngineGraph(graph);
    const rows = instances.length > 0 ? instances : graph.order.map((taskId) => ({ taskId, mapIndex: -1, state: "pending" as const, tryNumber: 0, retryAtMs: null }));
    const snapshot = createRunSnapshot(record.id, state, engineGraph, rows);
    let resolve!: (state: RunState) => void;
    const finished = new Promise<RunState>((r) => (resolve = r));
    const active: ActiveRun = {
      record,
      graph,
      tasks: new Map(graph.tasks.map((t) => [t.id, t])),
      snapshot,
      ready: new Set(),
      outputs: new Map(),
      finished,
      resolve,
    };
    this.runs.set(record.id, active);
    return active;
  }

  private enqueue(runId: string, event: EngineEvent): void {
    this.queue.push({ runId, event });
    this.scheduleTick();
  }

  private scheduleTick(): void {
    if (this.tickScheduled || this.ticking) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.failure) return;
    this.ticking = true;
    try {
      const nowMs = this.options.clock.now();
      const decisions: Decision[] = [];
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
        if (active) this.decide(active, events, nowMs, decisions);
      }
      const jobs = this.dispatch(nowMs, decisions);
      if (decisions.length === 0) return;

      crashPoint("before_commit");
      const result = await this.options.store.applyDecisions(decisions);
      crashPoint("after_commit");
      const conflicted = new Set(result.conflicts.map((c) => c.runId));
      for (const runId of conflicted) await this.reload(runId);

      // Committed: now the outside world may see it (DESIGN.md §7: actions after commit, an outbox).
      for (const pending of jobs) {
        if (conflicted.has(pending.job.runId)) continue;
        if (pending.missing.size > 0) await this.readMissingInputs(pending);
        this.options.executor.submit(pending.job);
        crashPoint("after_dispatch");
      }
      for (const index of result.applied) this.afterCommit(decisions[index] as Decision);
    } catch (error) {
      // A store failure leaves memory ahead of the database: stop; the runs are resumable from the store.
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const active of this.runs.values()) active.resolve("failed");
      throw this.failure;
    } finally {
      this.ticking = false;
      if (this.queue.length > 0 || this.hasDispatchable()) this.scheduleTick();
    }
  }

  private decide(active: ActiveRun, events: readonly EngineEvent[], nowMs: number, decisions: Decision[]): void {
    const decision = advanceAll(active.snapshot, events, nowMs);
    if (isEmptyDecision(decision)) return;
    applyDecision(active.snapshot, decision);
    for (const t of decision.transitions) {
      const key = instanceKey(t.taskId, t.mapIndex);
      if (t.to === "scheduled") active.ready.add(key);
      else active.ready.delete(key);
      if (t.to === "success" && t.output !== undefined && t.output.length <= OUTPUT_CACHE_MAX_CHARS) active.outputs.set(t.taskId, t.output);
    }
    decisions.push(decision);
  }

  private hasDispatchable(): boolean {
    if (this.options.executor.freeSlots() <= 0) return false;
    for (const active of this.runs.values()) if (active.ready.size > 0) return true;
    return false;
  }

  /** Claims scheduled instances for free worker slots, round-robin across runs. */
  private dispatch(nowMs: number, decisions: Decision[]): PendingJob[] {
    const jobs: PendingJob[] = [];
    const claims = new Map<ActiveRun, EngineEvent[]>();
    let free = this.options.executor.freeSlots();
    let progressed = true;
    while (free > 0 && progressed) {
      progressed = false;
      for (const active of this.runs.values()) {
        if (free <= 0) break;
        const key = first(active.ready);
        if (key === undefined) continue;
        active.ready.delete(key);
        const instance = active.snapshot.instances.get(key);
        if (!instance || instance.state !== "scheduled") continue;
        progressed = true;
        const tryNumber = instance.tryNumber + 1;
        const ref = { taskId: instance.taskId, mapIndex: instance.mapIndex, tryNumber };
        // Queued and started together: the try is committed running before it is sent.
        const events = claims.get(active) ?? [];
        events.push({ kind: "try_queued", ...ref }, { kind: "try_started", ...ref, worker: "local" });
        claims.set(active, events);
        const job = this.buildJob(active, instance.taskId, instance.mapIndex, tryNumber);
        if (job) {
          jobs.push(job);
          free--;
        }
      }
    }
    for (const [active, events] of claims) this.decide(active, events, nowMs, decisions);
    return jobs;
  }

  private buildJob(active: ActiveRun, taskId: string, mapIndex: number, tryNumber: number): PendingJob | null {
    const task = active.tasks.get(taskId);
    if (!task) return null;
    const run = active.record;
    const inputs: Record<string, string> = {};
    const missing = new Map<string, string>();
    for (const [name, upstream] of Object.entries(task.needs)) {
      const output = active.outputs.get(upstream);
      if (output === undefined) missing.set(name, upstream);
      else inputs[name] = output;
    }
    const job: TryJob = {
      tryKey: tryKeyOf(run.id, taskId, mapIndex, tryNumber),
      file: run.file,
      pipelineId: run.pipelineId,
      version: run.version,
      taskId,
      mapIndex,
      tryNumber,
      maxTries: task.retry.retries + 1,
      runId: run.id,
      logicalDateMs: run.logicalDateMs,
      intervalStartMs: run.intervalStartMs,
      intervalEndMs: run.intervalEndMs,
      params: run.params,
      inputs,
      logPath: tryLogPath(this.options.home, run.pipelineId, run.id, taskId, mapIndex, tryNumber),
      timeoutMs: task.timeoutMs,
      idempotencyKey: `${run.id}/${taskId}/${mapIndex}`,
    };
    return { job, missing };
  }

  /** Outputs not cached in memory (large, or from before a resume) come from the store. */
  private async readMissingInputs(pending: PendingJob): Promise<void> {
    const outputs = await this.options.store.getOutputs(pending.job.runId, [...new Set(pending.missing.values())]);
    // An upstream without output (skipped, say, under a permissive trigger rule) leaves the input undefined.
    for (const [name, upstream] of pending.missing) {
      const output = outputs.get(upstream);
      if (output !== undefined) pending.job.inputs[name] = output;
    }
  }

  private afterCommit(decision: Decision): void {
    const active = this.runs.get(decision.runId);
    if (!active) return;
    for (const action of decision.actions) {
      if (action.kind === "cancel_try") {
        this.options.executor.abort(tryKeyOf(decision.runId, action.taskId, action.mapIndex, action.tryNumber), "canceled");
      }
    }
    for (const timer of decision.timers) this.armTimer(decision.runId, timer.atMs, timer.event);
    if (decision.run) {
      active.record = { ...active.record, state: decision.run.to };
      if (decision.run.to === "running" && active.record.startedMs === null) active.record.startedMs = decision.nowMs;
      if (isTerminalRunState(decision.run.to)) active.record.endedMs = decision.nowMs;
    }
    const change: RunChange = { run: active.record, transitions: decision.transitions, runState: active.snapshot.state, nowMs: decision.nowMs };
    for (const listener of this.listeners) listener(change);
    if (decision.run && isTerminalRunState(decision.run.to)) {
      this.runs.delete(decision.runId);
      active.resolve(decision.run.to);
    }
  }

  private armTimer(runId: string, atMs: number, event: EngineEvent): void {
    const cancel = this.options.clock.at(atMs, () => {
      this.timers.delete(cancel);
      this.enqueue(runId, event);
    });
    this.timers.add(cancel);
  }

  /** After a guard conflict, memory is rebuilt from the store, the source of truth. */
  private async reload(runId: string): Promise<void> {
    const active = this.runs.get(runId);
    if (!active) return;
    const record = await this.options.store.getRun(runId);
    this.runs.delete(runId);
    if (!record) return;
    const instances = await this.options.store.listTaskInstances(runId);
    const fresh = this.track(record, active.graph, record.state, instances);
    fresh.finished = active.finished;
    fresh.resolve = active.resolve;
    for (const i of instances) if (i.state === "scheduled") fresh.ready.add(instanceKey(i.taskId, i.mapIndex));
    if (isTerminalRunState(record.state)) {
      this.runs.delete(runId);
      active.resolve(record.state);
    }
  }
}

function first<T>(set: Set<T>): T | undefined {
  for (const value of set) return value;
  return undefined;
}

function parseTryKey(tryKey: string): { runId: string; taskId: string; mapIndex: number; tryNumber: number } | null {
  const parts = tryKey.split("/");
  if (parts.length !== 4) return null;
  const [runId, taskId, mapIndex, tryNumber] = parts as [string, string, string, string];
  return { runId, taskId, mapIndex: Number(mapIndex), tryNumber: Number(tryNumber) };
}
