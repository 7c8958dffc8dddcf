// The scheduler service (`weir dev`, `weir scheduler`): keeps the pipelines under a path loaded, creates
// the runs their schedules make due, starts queued runs within each pipeline's maxActiveRuns, and drives
// them with the coordinator. It wakes on a timer (the next due run), on a run ending, on file changes and
// on a short poll for what other processes wrote (`weir trigger`, `weir pause`): it never rescans tasks.
import { WeirError } from "../common/errors.js";
import type { RunState } from "../engine/states.js";
import type { PipelineGraph } from "../graph/types.js";
import type { RunRecord, Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import { Coordinator, type CoordinatorOptions, type RunChangeListener } from "./coordinator.js";
import type { RunPreparer } from "./commands/prepare-run.js";
import { createDueRuns } from "./create-due-runs.js";
import { activeRunsOf, RunDeadlines } from "./deadlines.js";
import { EventTriggers } from "./event-triggers.js";
import type { Executor } from "./executor.js";
import { isOwnerAlive, isSchedulerOwner, newOwnerId, retireOwnerId } from "./owner.js";
import { DEFAULT_SCHEDULER_LEASE_MS, fencedDecisions, SchedulerLease } from "./scheduler-lease.js";
import { PipelineRegistry, type PipelineChange } from "./pipeline-registry.js";
import { PoolSlots } from "./pool-slots.js";
import { OutboxDelivery } from "./outbox-delivery.js";
import { SensorResults } from "./sensor-handoff.js";
import type { Notifier } from "../notify/index.js";

/** The engine events a user's run request may carry. */
const REQUESTABLE: ReadonlySet<string> = new Set(["run_cancel_requested", "instances_cleared", "instance_marked"]);

export interface SchedulerEvent {
  kind: "pipelines" | "run_created" | "run_started" | "run_finished" | "error";
  message: string;
}

export interface SchedulerServiceOptions {
  /** Notifiers by name (WEIR_NOTIFIER_<NAME>), for alerts (default: none configured). */
  notifiers?: ReadonlyMap<string, Notifier>;
  store: Store;
  /** Runs tries, loads pipeline files and checks event payloads in worker processes. */
  executor: Executor & RunPreparer;
  clock: Clock;
  home: string;
  /** A directory of pipeline files, or one file. */
  root: string;
  /** How often to look for runs and pauses written by other processes (default 1 s). */
  pollMs?: number;
  /** Watch the files for changes (default true). */
  watch?: boolean;
  onEvent?: (event: SchedulerEvent) => void;
  /** Timing of each coordinator tick that committed (metrics). */
  onTick?: CoordinatorOptions["onTick"];
  /** The scheduler owner id to hold the lease as (newOwnerId("scheduler")); default: a new one. */
  owner?: string;
  /** The scheduler lease's TTL (WEIR_SCHEDULER_LEASE; default 10 s): how soon a standby takes over a silent holder. */
  leaseTtlMs?: number;
  /**
   * Another scheduler took the lease over (this one was frozen or cut off longer than the TTL): the service
   * has stopped, having committed nothing since. The caller decides what follows (`weir scheduler`: standby).
   */
  onLeaseLost?: () => void;
  /**
   * The coordinator stopped on a store error (memory may be ahead of the database): the service has stopped
   * and released the lease, so that a standby (or this process, starting again) resumes the runs from the store.
   */
  onFailed?: (error: Error) => void;
}

export class SchedulerService {
  readonly coordinator: Coordinator;
  readonly registry: PipelineRegistry;
  private readonly owner: string;
  /** The scheduler lease: held while this service runs, fencing its coordinator's decisions. */
  readonly lease: SchedulerLease;
  private stopLeaseKeeping: (() => void) | null = null;
  private lostLease = false;
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
  private stopped = false;

  private readonly poolSlots = new PoolSlots();

  readonly outbox: OutboxDelivery;
  /** Runs started by events and by other pipelines' successes (docs/events.md). */
  private readonly triggers: EventTriggers;
  /** Deferred sensors' answers from the trigger loop (docs/sensors.md). */
  private readonly sensorResults: SensorResults;
  /** Pipeline deadlines: one alert per run that misses its own (README "Alerts"). */
  private readonly deadlines: RunDeadlines;

  constructor(private readonly options: SchedulerServiceOptions) {
    this.owner = options.owner ?? newOwnerId("scheduler");
    this.lease = new SchedulerLease(options.store, this.owner, options.leaseTtlMs ?? DEFAULT_SCHEDULER_LEASE_MS);
    // A scheduler frozen past its lease delivers nothing a successor may be delivering too.
    const outboxStore = { pendingNotifications: async (limit: number) => ((await this.lease.confirm()) ? options.store.pendingNotifications(limit) : []), markNotificationDone: options.store.markNotificationDone.bind(options.store) };
    this.outbox = new OutboxDelivery(outboxStore, options.notifiers ?? new Map(), (line) => this.emit("error", line));
    this.coordinator = new Coordinator({ store: fencedDecisions(options.store, this.lease.fence), executor: options.executor, clock: options.clock, home: options.home, poolSlots: this.poolSlots.of, outbox: this.outbox, ...(options.onTick ? { onTick: options.onTick } : {}) });
    this.registry = new PipelineRegistry({
      root: options.root,
      pool: options.executor,
      store: options.store,
      clock: options.clock,
      watch: options.watch ?? true,
      onChange: (change) => this.onPipelinesChanged(change),
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
   * (`weir scheduler` waits for it as a standby first: scheduler-lease.ts).
   */
  async start(): Promise<void> {
    if (!(await this.lease.acquire())) {
      const holder = await this.lease.holder();
      throw new WeirError("scheduler_running", `another scheduler is running against this store (${holder ?? "unknown"}); stop it first`);
    }
    this.stopLeaseKeeping = this.lease.keep(
      () => void this.leaseLost(),
      (message) => this.emit("error", message),
    );
    await this.registry.start();
    for (const problem of this.registry.problems()) this.emit("error", `${problem.file}: ${problem.message}`);
    this.emit("pipelines", `${this.registry.pipelines().length} pipelines loaded from ${this.options.root}`);
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
    await this.lease.release();
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
      const graph = await store.getPipelineVersion(run.pipelineId, run.version);
      if (!graph) continue;
      if (run.owner !== this.owner && !(await store.setRunOwner(run.id, this.owner, run.owner))) continue;
      this.emit("run_started", `resuming run ${run.id} of ${run.pipelineId}`);
      this.track(run, this.coordinator.resumeRun({ ...run, owner: this.owner }, graph));
    }
  }

  /** One pass: refresh pauses, create due runs, start queued runs; then sleep until the next due run. */
  private async pass(): Promise<void> {
    if (this.stopped) return;
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
        await this.cancelBackfilledRuns();
        await this.serveRunRequests();
        // Every active run is read only when something may need it (a thousand running runs are ms of
        // reading per pass): orphans come from other processes (the poll looks) and from a clear here (wake).
        const adopt = this.orphansDue;
        this.orphansDue = false;
        const active = adopt || this.deadlinesKnown() ? await store.listActiveRuns() : [];
        if (adopt) await this.adoptOrphans(active);
        const due = await createDueRuns(store, this.registry.pipelines(), this.paused, clock.now(), this.latestScheduled);
        if (due.created > 0) this.emit("run_created", `${due.created} scheduled run${due.created === 1 ? "" : "s"} created`);
        this.triggers.kick(this.paused);
        const { queued, started } = await this.startQueued();
        // SQLite answers synchronously: without a turn of the event loop here the coordinator's tick (a
        // setImmediate) would wait for the rest of this pass (and the next, if one was asked for meanwhile)
        // before committing the runs just started. Only then: a pass that started nothing stays one turn.
        if (started > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const nextDeadlineMs = this.deadlinesKnown() ? await this.deadlines.check(activeRunsOf(active, queued, (run) => run.owner === this.owner && !this.driving.get(run.pipelineId)?.has(run.id)), clock.now()) : null;
        this.armWake(nextDeadlineMs === null ? due.nextWakeMs : Math.min(nextDeadlineMs, due.nextWakeMs ?? nextDeadlineMs));
      } while (this.passAgain && !this.stopped);
    } catch (error) {
      this.emit("error", error instanceof Error ? error.message : String(error));
    } finally {
      this.passRunning = false;
    }
  }

  /**
   * Queued runs start oldest first, while their pipeline has fewer than maxActiveRuns running and their
   * backfill (if any) fewer than its concurrency. A run that can't start doesn't hold up the others, so
   * a large backfill never stops other pipelines' scheduled runs from starting.
   */
  private async startQueued(): Promise<{ queued: RunRecord[]; started: number }> {
    const { store } = this.options;
    const queued = (await store.listRuns({ states: ["queued"], limit: 10_000 })).sort((a, b) => a.createdMs - b.createdMs || a.logicalDateMs - b.logicalDateMs);
    const backfills = new Map<string, { concurrency: number | null; state: string } | null>();
    // Chosen first and claimed in one transaction: a minute's thousand runs start together, not one write each.
    const chosen: { run: RunRecord; graph: PipelineGraph }[] = [];
    const morePerPipeline = new Map<string, number>();
    const morePerBackfill = new Map<string, number>();
    for (const run of queued) {
      // Started in an earlier pass but not yet committed running: don't start it twice.
      if (this.driving.get(run.pipelineId)?.has(run.id)) continue;
      if (this.paused.has(run.pipelineId) && run.trigger === "scheduled") continue;
      // A foreground `weir run` drives its own run.
      if (this.drivenElsewhere(run.owner)) continue;
      const graph = await this.graphOf(run.pipelineId, run.version);
      if (!graph) continue;
      if (run.backfillId !== null) {
        if (!backfills.has(run.backfillId)) backfills.set(run.backfillId, await store.getBackfill(run.backfillId));
        const backfill = backfills.get(run.backfillId);
        if (backfill?.state === "canceled") {
          this.track(run, this.coordinator.cancelQueuedRun(run, graph, "its backfill was canceled"));
          continue;
        }
        const limit = backfill?.concurrency ?? null;
        if (limit !== null && (this.drivingBackfill.get(run.backfillId)?.size ?? 0) + (morePerBackfill.get(run.backfillId) ?? 0) >= limit) continue;
        morePerBackfill.set(run.backfillId, (morePerBackfill.get(run.backfillId) ?? 0) + 1);
      }
      const active = (this.driving.get(run.pipelineId)?.size ?? 0) + (morePerPipeline.get(run.pipelineId) ?? 0);
      if (active >= graph.maxActiveRuns) continue;
      morePerPipeline.set(run.pipelineId, (morePerPipeline.get(run.pipelineId) ?? 0) + 1);
      chosen.push({ run, graph });
    }
    // Owned by this scheduler while it drives them: another process won't take them over while we live.
    let started = 0;
    const claimed = new Set(await store.claimUnownedRuns(chosen.filter((c) => c.run.owner === null).map((c) => c.run.id), this.owner));
    for (const { run, graph } of chosen) {
      if (run.owner === null ? !claimed.has(run.id) : !(await store.setRunOwner(run.id, this.owner, run.owner))) continue;
      this.emit("run_started", `run ${run.id} of ${run.pipelineId} (${run.trigger}${run.backfillId ? ` ${run.backfillId}` : ""}, ${new Date(run.logicalDateMs).toISOString()})`);
      this.track(run, this.coordinator.startRun({ ...run, owner: this.owner }, graph));
      started++;
    }
    return { queued, started };
  }

  /**
   * Commands `weir server` wrote for runs this scheduler drives (cancel, clear, mark): each is handed to the
   * coordinator, like a try result, and recorded done; one for a run it no longer drives is refused.
   */
  private async serveRunRequests(): Promise<void> {
    const { store, clock } = this.options;
    for (const request of await store.pendingRunRequests(100)) {
      const allowed = REQUESTABLE.has(request.event.kind);
      if (allowed && this.coordinator.request(request.runId, request.event)) {
        await store.finishRunRequest(request.id, "done", null, clock.now());
      } else {
        const why = allowed ? `run ${request.runId} is not driven by the scheduler (${this.owner}) any more` : `the scheduler does not take ${request.event.kind} requests`;
        await store.finishRunRequest(request.id, "refused", why, clock.now());
      }
    }
  }

  /** Canceled backfills: their running runs are canceled too. */
  private async cancelBackfilledRuns(): Promise<void> {
    for (const [backfillId, runIds] of this.drivingBackfill) {
      if (runIds.size === 0) continue;
      const backfill = await this.options.store.getBackfill(backfillId);
      if (backfill?.state !== "canceled") continue;
      for (const runId of runIds) this.coordinator.cancelRun(runId, "its backfill was canceled");
    }
  }

  /** A backfill ends when none of its runs is queued or running: failed if any failed. */
  private async finishBackfill(backfillId: string): Promise<void> {
    const { store, clock } = this.options;
    const backfill = await store.getBackfill(backfillId);
    if (backfill?.state !== "running") return;
    const open = await store.listRuns({ backfillId, states: ["queued", "running"], limit: 1 });
    if (open.length > 0) return;
    const failed = await store.listRuns({ backfillId, states: ["failed", "canceled"], limit: 1 });
    const to = failed.length > 0 ? "failed" : "success";
    if (await store.setBackfillState(backfillId, to, "running", clock.now())) this.emit("run_finished", `backfill ${backfillId} ${to}`);
  }

  /** Pipeline versions are immutable: read each once. */
  private readonly graphs = new Map<string, PipelineGraph>();
  private readonly latestScheduled = new Map<string, number | null>();
  private versionsWithDeadline = 0;
  private async graphOf(pipelineId: string, version: string): Promise<PipelineGraph | null> {
    const key = `${pipelineId}@${version}`;
    const cached = this.graphs.get(key);
    if (cached) return cached;
    const graph = await this.options.store.getPipelineVersion(pipelineId, version);
    if (graph) this.graphs.set(key, graph);
    if (graph?.deadline) this.versionsWithDeadline++;
    return graph;
  }

  /** Whether a run may have a deadline: a version read or a pipeline loaded has one (else no check, no read). */
  private deadlinesKnown(): boolean {
    return this.versionsWithDeadline > 0 || this.registry.pipelines().some((graph) => graph.deadline !== undefined);
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
