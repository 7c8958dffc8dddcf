// The scheduler service (`weir dev`, `weir scheduler`): keeps the pipelines under a path loaded, creates
// the runs their schedules make due, starts queued runs within each pipeline's maxActiveRuns, and drives
// them with the coordinator. It wakes on a timer (the next due run), on a run ending, on file changes and
// on a short poll for what other processes wrote (`weir trigger`, `weir pause`): it never rescans tasks.
import { WeirError } from "../common/errors.js";
import type { RunState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
import type { RunRecord } from "../store/types.js";
import { cancelBackfilledRuns, finishBackfill } from "./backfill-runs.js";
import { Coordinator, type RunChangeListener } from "./coordinator.js";
import { createDueRuns, type DueRunStarter } from "./create-due-runs.js";
import { activeRunsOf, RunDeadlines } from "./deadlines.js";
import { EventTriggers } from "./event-triggers.js";
import { isOwnerAlive, isSchedulerOwner, newOwnerId, retireOwnerId } from "./owner.js";
import { DEFAULT_SCHEDULER_LEASE_MS, SchedulerLease } from "./scheduler-lease.js";
import { PipelineRegistry, type PipelineChange } from "./pipeline-registry.js";
import { PoolSlots } from "./pool-slots.js";
import type { PreparedStart } from "./prepared-start.js";
import { OutboxDelivery } from "./outbox-delivery.js";
import { startQueuedRuns } from "./queued-runs.js";
import { serveRunRequests } from "./run-requests.js";
import { SensorResults } from "./sensor-handoff.js";
import type { SchedulerEvent, SchedulerServiceOptions } from "./service-types.js";
import { VersionGraphs } from "./version-graphs.js";

export type { SchedulerEvent, SchedulerServiceOptions } from "./service-types.js";

export class SchedulerService {
  readonly coordinator: Coordinator;
  readonly registry: PipelineRegistry;
  private readonly owner: string;
  /** Due runs (create-due-runs.ts): as many as each pipeline's maxActiveRuns leaves room for start at once. */
  private readonly dueRunStarter: DueRunStarter;
  /** The scheduler lease: held while this service runs, fencing its coordinator's decisions. */
  readonly lease: SchedulerLease;
  private stopLeaseKeeping: (() => void) | null = null;
  private lostLease = false;
  /** From taking the lease on: a pass before that (a standby's file change) does nothing. */
  private leading = false;
  /** Runs this service drives, by pipeline: what maxActiveRuns counts. */
  private readonly driving = new Map<string, Set<string>>();
  /** Runs this service drives, by backfill: what a backfill's concurrency counts. */
  private readonly drivingBackfill = new Map<string, Set<string>>();
  private paused = new Set<string>();
  private wakeTimer: (() => void) | null = null;
  private pollTimer: (() => void) | null = null;
  private passRunning = false;
  private passAgain = false;
  /** Look for orphaned runs in the next pass (the first, each poll's, one asked for by wake()). */
  private orphansDue = true;
  /** Runs ended since the store was last checkpointed while idle (checkpointIfIdle). */
  private endedSinceCheckpoint = false;
  private stopped = false;

  private readonly poolSlots = new PoolSlots();
  /** Pipeline versions are immutable: each graph is read once. */
  private readonly graphs: VersionGraphs;

  readonly outbox: OutboxDelivery;
  /** Runs started by events and by other pipelines' successes (docs/events.md). */
  private readonly triggers: EventTriggers;
  /** Deferred sensors' answers from the trigger loop (docs/sensors.md). */
  private readonly sensorResults: SensorResults;
  /** Pipeline deadlines: one alert per run that misses its own (README "Alerts"). */
  private readonly deadlines: RunDeadlines;

  constructor(private readonly options: SchedulerServiceOptions) {
    this.owner = options.owner ?? newOwnerId("scheduler");
    this.dueRunStarter = {
      owner: this.owner,
      room: (graph) => graph.maxActiveRuns - (this.driving.get(graph.id)?.size ?? 0),
      prepare: (run, graph, nowMs) => this.coordinator.prepareStart(run, graph, nowMs),
      start: (run, graph, prepared) => this.startRun(run, graph, prepared),
    };
    this.graphs = new VersionGraphs(options.store);
    this.lease = new SchedulerLease(options.store, this.owner, options.leaseTtlMs ?? DEFAULT_SCHEDULER_LEASE_MS);
    // A scheduler frozen past its lease delivers nothing a successor may be delivering too.
    const outboxStore = { pendingNotifications: async (limit: number) => ((await this.lease.confirm()) ? options.store.pendingNotifications(limit) : []), markNotificationDone: options.store.markNotificationDone.bind(options.store) };
    this.outbox = new OutboxDelivery(outboxStore, options.notifiers ?? new Map(), (line) => this.emit("error", line));
    this.coordinator = new Coordinator({ store: options.store, fence: this.lease.fence, executor: options.executor, clock: options.clock, home: options.home, poolSlots: this.poolSlots.of, outbox: this.outbox, ...(options.onTick ? { onTick: options.onTick } : {}) });
    this.registry =
      options.registry ??
      new PipelineRegistry({
        root: options.root,
        pool: options.executor,
        store: options.store,
        clock: options.clock,
        watch: options.watch ?? true,
      });
    this.triggers = new EventTriggers({
      store: options.store,
      clock: options.clock,
      validator: options.executor,
      pipelines: () => this.registry.pipelines(),
      onRunsCreated: (count) => {
        this.emit("run_created", `${count} run${count === 1 ? "" : "s"} created by events or upstream pipelines`);
        void this.pass();
      },
      onError: (message) => this.emit("error", message),
    });
    this.deadlines = new RunDeadlines(options.store, (pipelineId, version) => this.graphOf(pipelineId, version), () => this.outbox.kick());
    this.sensorResults = new SensorResults(options.store, this.coordinator, (error) => this.emit("error", `sensor results: ${error instanceof Error ? error.message : String(error)}`));
  }

  onRunChange(listener: RunChangeListener): () => void {
    return this.coordinator.onChange(listener);
  }

  /**
   * Takes the scheduler lease (a dead scheduler's of this host at once), loads the pipelines, takes over runs
   * left active, and starts scheduling. `scheduler_running` while another live scheduler holds the lease
   * (`weir scheduler` waits for it as a standby first: scheduler-lease.ts). A registry given in the options
   * and started already (a standby's, loaded while it waited) is scheduled with as it is: no file is loaded
   * again (its watcher followed the changes); the versions it held unsaved are saved first.
   */
  async start(): Promise<void> {
    if (!(await this.lease.acquire())) {
      const holder = await this.lease.holder();
      throw new WeirError("scheduler_running", `another scheduler is running against this store (${holder ?? "unknown"}); stop it first`);
    }
    this.leading = true;
    this.stopLeaseKeeping = this.lease.keep(
      () => void this.leaseLost(),
      (message) => this.emit("error", message),
    );
    this.registry.listen((change) => this.onPipelinesChanged(change));
    const preloaded = this.registry.started;
    if (!preloaded) await this.registry.start();
    const saved = await this.registry.saveHeld(async () => new Map((await this.options.store.reads.pipelineHeads()).map((head) => [head.id, head])));
    const count = this.registry.pipelines().length;
    if (preloaded) this.emit("pipelines", `taking over with the ${count} pipelines loaded while standing by (${saved} new version${saved === 1 ? "" : "s"} saved)`);
    else {
      for (const problem of this.registry.problems()) this.emit("error", `${problem.file}: ${problem.message}`);
      this.emit("pipelines", `${count} pipelines loaded from ${this.options.root}`);
    }
    // Notifications committed before a crash but not delivered go out now (at least once).
    this.outbox.kick();
    await this.pass();
    this.schedulePoll();
    this.sensorResults.start();
  }

  /** Stops creating and starting runs; runs in flight stay in the store and are resumed by the next start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopLeaseKeeping?.();
    this.triggers.stop();
    this.sensorResults.stop();
    this.wakeTimer?.();
    this.pollTimer?.();
    this.coordinator.close();
    await this.registry.stop();
    if (this.leading) await this.lease.release();
    retireOwnerId(this.owner);
  }

  /**
   * Running runs nobody drives — left by a scheduler or `weir run` that died, or reopened by `weir clear` —
   * are adopted: tries that were in flight are recorded lost and run again. A run whose driver is alive
   * (a foreground `weir run`) is left to it.
   */
  private async adoptOrphans(active: readonly RunRecord[]): Promise<void> {
    const { store } = this.options;
    for (const run of active) {
      if (run.state !== "running" || this.driving.get(run.pipelineId)?.has(run.id)) continue;
      if (this.drivenElsewhere(run.owner)) continue;
      const graph = await this.graphOf(run.pipelineId, run.version);
      if (!graph) continue;
      if (run.owner !== this.owner && !(await store.setRunOwner(run.id, this.owner, run.owner))) continue;
      this.emit("run_started", `resuming run ${run.id} of ${run.pipelineId}`);
      this.track(run, this.coordinator.resumeRun({ ...run, owner: this.owner }, graph));
    }
  }

  /** One pass: refresh pauses, create due runs, start queued runs; then sleep until the next due run. */
  private async pass(): Promise<void> {
    if (this.stopped || !this.leading) return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    try {
      // Frozen past half the lease: ask the store before writing anything (a successor may be at work).
      if (!(await this.lease.confirm())) return;
      do {
        this.passAgain = false;
        const { store, clock } = this.options;
        this.paused = new Set(await store.pausedPipelineIds());
        await this.poolSlots.refresh(store);
        this.coordinator.wake(); // a pool may have grown
        await cancelBackfilledRuns(store, this.drivingBackfill, (runId, reason) => this.coordinator.cancelRun(runId, reason));
        await serveRunRequests(store, this.coordinator, this.owner, () => clock.now());
        // Every active run is read only when something may need it (a thousand running runs are ms of
        // reading per pass): orphans come from other processes (the poll looks) and from a clear here (wake).
        const adopt = this.orphansDue;
        this.orphansDue = false;
        const active = adopt || this.deadlinesKnown() ? await store.listActiveRuns() : [];
        if (adopt) await this.adoptOrphans(active);
        // Runs already queued (triggered, backfilled, held by maxActiveRuns) start first: they are older than
        // this pass's due runs, and listed before those exist, the listing doesn't read a minute's thousand.
        const { queued, started } = await this.startQueued();
        // Due runs with room are created owned by this scheduler and started here, with the fence on the insert.
        const due = await createDueRuns(store, this.registry.pipelines(), this.paused, clock.now(), { latest: this.latestScheduled, fence: this.lease.fence, starter: this.dueRunStarter });
        if (due.created > 0) this.emit("run_created", `${due.created} scheduled run${due.created === 1 ? "" : "s"} created`);
        // SQLite answers synchronously: without a turn of the event loop here the coordinator's tick (a
        // setImmediate) would wait for the rest of this pass (and the next, if one was asked for meanwhile)
        // before committing the runs just started. Only then: a pass that started nothing stays one turn.
        if (started + due.started > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        this.triggers.kick(this.paused);
        const nextDeadlineMs = this.deadlinesKnown() ? await this.deadlines.check(activeRunsOf(active, [...queued, ...due.runs], (run) => run.owner === this.owner && !this.driving.get(run.pipelineId)?.has(run.id)), clock.now()) : null;
        this.armWake(nextDeadlineMs === null ? due.nextWakeMs : Math.min(nextDeadlineMs, due.nextWakeMs ?? nextDeadlineMs));
        if (adopt) await this.checkpointIfIdle();
      } while (this.passAgain && !this.stopped);
    } catch (error) {
      this.emit("error", error instanceof Error ? error.message : String(error));
      // The due runs' insert was fenced: another scheduler holds the lease now.
      if (error instanceof WeirError && error.code === "scheduler_fenced") void this.leaseLost();
    } finally {
      this.passRunning = false;
    }
  }

  /**
   * A poll that finds nothing driven after runs ended: the store's log is written into the database now (SQLite
   * checkpoints), while idle, not inside a commit of the next burst (W6: a minute's thousand runs would wait).
   */
  private async checkpointIfIdle(): Promise<void> {
    if (!this.endedSinceCheckpoint || this.coordinator.activeRunIds().length > 0) return;
    this.endedSinceCheckpoint = false;
    await this.options.store.checkpoint().catch((error: unknown) => {
      // Another process checkpointing or writing right now: the log gets copied then, or at the next idle poll.
      if (error instanceof WeirError && error.code === "store_busy") return;
      this.emit("error", `checkpointing the store: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Queued runs start within maxActiveRuns and backfill concurrency (queued-runs.ts). */
  private startQueued(): Promise<{ queued: RunRecord[]; started: number }> {
    return startQueuedRuns({
      store: this.options.store,
      owner: this.owner,
      paused: this.paused,
      driving: this.driving,
      drivingBackfill: this.drivingBackfill,
      drivenElsewhere: (owner) => this.drivenElsewhere(owner),
      graphOf: (pipelineId, version) => this.graphOf(pipelineId, version),
      cancel: (run, graph) => this.track(run, this.coordinator.cancelQueuedRun(run, graph, "its backfill was canceled")),
      start: (run, graph) => this.startRun({ ...run, owner: this.owner }, graph),
    });
  }

  /** `prepared`: a due run created started (prepared-start.ts), its first decision committed with it. */
  private startRun(run: RunRecord, graph: PipelineGraph, prepared: PreparedStart | null = null): void {
    // Built only if someone listens: a minute's thousand runs would format a thousand dates for nobody.
    if (this.options.onEvent) this.emit("run_started", `run ${run.id} of ${run.pipelineId} (${run.trigger}${run.backfillId ? ` ${run.backfillId}` : ""}, ${this.dateText(run.logicalDateMs)})`);
    this.track(run, prepared ? this.coordinator.startPrepared(prepared) : this.coordinator.startRun(run, graph));
  }

  /** The logical date last formatted for an event: a minute's thousand runs share theirs. */
  private lastDate = { ms: Number.NaN, text: "" };
  private dateText(ms: number): string {
    if (ms !== this.lastDate.ms) this.lastDate = { ms, text: new Date(ms).toISOString() };
    return this.lastDate.text;
  }

  /** A backfill ends when none of its runs is queued or running (backfill-runs.ts). */
  private async finishBackfill(backfillId: string): Promise<void> {
    const to = await finishBackfill(this.options.store, backfillId, () => this.options.clock.now());
    if (to !== null) this.emit("run_finished", `backfill ${backfillId} ${to}`);
  }

  private readonly latestScheduled = new Map<string, number | null>();
  private graphOf(pipelineId: string, version: string): Promise<PipelineGraph | null> {
    return this.graphs.of(pipelineId, version);
  }

  /** Whether a run may have a deadline: a version read or a pipeline loaded has one (else no check, no read). */
  private deadlinesKnown(): boolean {
    return this.graphs.anyDeadline || this.registry.pipelines().some((graph) => graph.deadline !== undefined);
  }

  private track(run: RunRecord, finished: Promise<RunState>): void {
    const ids = this.driving.get(run.pipelineId) ?? new Set<string>();
    ids.add(run.id);
    this.driving.set(run.pipelineId, ids);
    const backfillIds = run.backfillId === null ? null : (this.drivingBackfill.get(run.backfillId) ?? new Set<string>());
    if (run.backfillId !== null && backfillIds) {
      backfillIds.add(run.id);
      this.drivingBackfill.set(run.backfillId, backfillIds);
    }
    const done = (message: string): void => {
      this.endedSinceCheckpoint = true;
      ids.delete(run.id);
      backfillIds?.delete(run.id);
      this.emit("run_finished", message);
      // A slot of this pipeline (and backfill) is free: start what waits for it; a backfill may be done.
      void (async () => {
        if (run.backfillId !== null) await this.finishBackfill(run.backfillId).catch((error: unknown) => this.emit("error", String(error)));
        await this.pass();
      })();
    };
    finished.then(
      (state) => done(`run ${run.id} of ${run.pipelineId} ${state}`),
      (error: unknown) => {
        // Fenced: another scheduler took the lease over and drives this run now.
        if (error instanceof WeirError && error.code === "scheduler_fenced") void this.leaseLost();
        // Any other rejection is the coordinator's failure: a leader that decides nothing must not keep the lease.
        else if (this.coordinator.failed !== null) void this.coordinatorFailed(this.coordinator.failed);
        done(`run ${run.id} of ${run.pipelineId} stopped: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  private armWake(atMs: number | null): void {
    this.wakeTimer?.();
    this.wakeTimer = atMs === null || this.stopped ? null : this.options.clock.at(atMs, () => void this.pass());
  }

  /** Other processes write to the store (`weir trigger`, `weir pause`): look now and then. */
  private schedulePoll(): void {
    if (this.stopped) return;
    const { clock } = this.options;
    this.pollTimer = clock.at(clock.now() + (this.options.pollMs ?? 1000), () => {
      void (async () => {
        if (this.stopped) return;
        this.orphansDue = true;
        await this.pass();
        this.schedulePoll();
      })();
    });
  }

  private async coordinatorFailed(error: Error): Promise<void> {
    if (this.stopped || this.lostLease) return;
    this.lostLease = true;
    this.emit("error", `the coordinator stopped after a store error (${error.message}); giving the scheduler lease up`);
    await this.stop().catch((stopError: unknown) => this.emit("error", `stopping: ${stopError instanceof Error ? stopError.message : String(stopError)}`));
    this.options.onFailed?.(error);
  }

  private async leaseLost(): Promise<void> {
    if (this.stopped || this.lostLease) return;
    this.lostLease = true;
    const holder = await this.lease.holder().catch(() => null);
    this.emit("error", `lost the scheduler lease${holder ? ` to ${holder}` : ""} (another scheduler took over); stopping`);
    await this.stop();
    this.options.onLeaseLost?.();
  }

  /** A run another live process drives: a foreground `weir run`. Other schedulers' runs are ours to take (we hold the lease). */
  private drivenElsewhere(owner: string | null): boolean {
    return owner !== null && owner !== this.owner && !isSchedulerOwner(owner) && isOwnerAlive(owner);
  }

  private onPipelinesChanged(change: PipelineChange): void {
    const ids = change.pipelineIds.join(", ");
    const problems = (change.problems ?? []).map((p) => p.message).join("; ");
    this.emit(change.kind === "failed" ? "error" : "pipelines", `${change.kind} ${change.file}${ids ? `: ${ids}` : ""}${problems ? ` (${problems})` : ""}`);
    void this.pass();
  }

  private emit(kind: SchedulerEvent["kind"], message: string): void {
    this.options.onEvent?.({ kind, message });
  }

  /** The owner id this service writes on the runs it drives (the API tells its runs from others'). */
  get ownerId(): string {
    return this.owner;
  }

  /** Look at the store now (a run was triggered, a pipeline unpaused, a run cleared in this process). */
  wake(): void {
    this.orphansDue = true;
    void this.pass();
  }

  /** The pipelines currently loaded (for the CLI and, later, the server). */
  pipelines(): PipelineGraph[] {
    return this.registry.pipelines();
  }
}
