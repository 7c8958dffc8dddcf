// Runs started by events (`schedule: { events: [...] }`) and by other pipelines' successes (`schedule:
// { after: [...] }`), docs/events.md. Each subscribing pipeline takes the events (and upstream runs) it has not
// handled yet from the store, so what a crash interrupted is simply taken on the next pass; what it did with
// each is committed together with the run it creates (store/events.ts), so nothing is handled twice. Event
// payloads are checked against the pipeline's `event` schema in a worker process: user code never runs here.
// Runs apart from the scheduler's pass, so a payload check waiting for a worker never holds up scheduling.
import type { PipelineGraph } from "../graph/types.js";
import type { EventRecord, NewDelivery, RunRecord, Store } from "../store/types.js";
import { parseGraphSchedule, type EventBatchPolicy, type ParsedSchedule } from "../time/index.js";
import { EVENT_PARAM } from "../worker/event-payload.js";
import type { Clock } from "./clock.js";
import type { RunPreparer } from "./commands/prepare-run.js";
import { crashPoint } from "./crash-points.js";
import { newRunFor } from "./new-run.js";

/** Events (or upstream runs) one pipeline takes per pass; the rest wait for the next pass. */
const PENDING_LIMIT = 500;
/**
 * How far back a pass looks again behind the time it last found nothing pending: covers a commit that took
 * long after its event's time (or clocks of other hosts a little behind). Only a bound on the scan: what was
 * handled is known from the store's delivery rows, so looking again never handles anything twice.
 */
const LOOK_BACK_MS = 60_000;

export interface EventTriggersOptions {
  store: Store;
  clock: Clock;
  /** Checks event payloads in a worker process (the pool's `parseParams` with `event`). */
  validator: Pick<RunPreparer, "parseParams">;
  pipelines: () => readonly PipelineGraph[];
  /** Told how many runs a round created (the scheduler then starts them). */
  onRunsCreated: (count: number) => void;
  onError: (message: string) => void;
}

type EventsSchedule = Extract<ParsedSchedule, { kind: "events" }>;
type AfterSchedule = Extract<ParsedSchedule, { kind: "after" }>;

export class EventTriggers {
  private running = false;
  private again = false;
  private stopped = false;
  private wakeTimer: (() => void) | null = null;
  /** Per graph (versions are immutable): a round over a thousand cron pipelines builds no key and parses nothing. */
  private readonly schedules = new WeakMap<PipelineGraph, ParsedSchedule>();
  private readonly firstRegistered = new Map<string, number>();
  /** Per pipeline: a time at which it had nothing pending (the scans start LOOK_BACK_MS before it). */
  private readonly quietSince = new Map<string, number>();
  private paused: ReadonlySet<string> = new Set();

  constructor(private readonly options: EventTriggersOptions) {}

  /** Looks for events and upstream successes now (again after the current round if one is going). */
  kick(paused: ReadonlySet<string>): void {
    this.paused = paused;
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.stopped);
      } catch (error) {
        this.options.onError(`event triggers: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.running = false;
      }
    })();
  }

  stop(): void {
    this.stopped = true;
    this.wakeTimer?.();
  }

  private async round(): Promise<void> {
    let created = 0;
    let wakeAt: number | null = null;
    for (const graph of this.options.pipelines()) {
      if (this.stopped) return;
      // Cron, interval and manual pipelines (most of them) take nothing here: no parse, no lookup.
      if (graph.schedule === null || typeof graph.schedule !== "object") continue;
      if (this.paused.has(graph.id)) continue; // events wait; taken on unpause
      const schedule = this.scheduleOf(graph);
      if (schedule.kind === "events") {
        const result = await this.takeEvents(graph, schedule);
        created += result.created;
        if (result.wakeAt !== null && (wakeAt === null || result.wakeAt < wakeAt)) wakeAt = result.wakeAt;
      } else if (schedule.kind === "after") {
        created += await this.takeUpstreamRuns(graph, schedule);
      }
    }
    this.armWake(wakeAt);
    if (created > 0) this.options.onRunsCreated(created);
  }

  private scheduleOf(graph: PipelineGraph): ParsedSchedule {
    let parsed = this.schedules.get(graph);
    if (!parsed) {
      parsed = parseGraphSchedule(graph);
      this.schedules.set(graph, parsed);
    }
    return parsed;
  }

  /**
   * Where a pipeline's scan starts: events and upstream runs from before it was first registered are not for
   * it, and those from well before the last time it had nothing pending were all handled.
   */
  private async sinceOf(pipelineId: string): Promise<number> {
    let first = this.firstRegistered.get(pipelineId);
    if (first === undefined) {
      const registered = await this.options.store.events.pipelineFirstRegisteredMs(pipelineId);
      if (registered === null) return Number.MAX_SAFE_INTEGER;
      first = registered;
      this.firstRegistered.set(pipelineId, first);
    }
    const quiet = this.quietSince.get(pipelineId);
    return quiet === undefined ? first : Math.max(first, quiet - LOOK_BACK_MS);
  }

  private noteQuiet(pipelineId: string, scannedAtMs: number, pendingCount: number): void {
    if (pendingCount === 0) this.quietSince.set(pipelineId, scannedAtMs);
  }

  private async takeEvents(graph: PipelineGraph, schedule: EventsSchedule): Promise<{ created: number; wakeAt: number | null }> {
    const { store, clock } = this.options;
    const policy = schedule.batch;
    const limit = policy.mode === "batch" ? Math.max(PENDING_LIMIT, policy.max) : PENDING_LIMIT;
    const scannedAt = clock.now();
    const pending = await store.events.pendingEvents(graph.id, schedule.events, await this.sinceOf(graph.id), limit);
    this.noteQuiet(graph.id, scannedAt, pending.length);
    if (pending.length === 0) return { created: 0, wakeAt: null };
    const valid: EventRecord[] = [];
    for (const event of pending) {
      const reason = await this.checkPayload(graph, event);
      if (reason === null) valid.push(event);
      else await store.events.deliverEvents(graph.id, [{ eventId: event.id, outcome: "rejected", reason }], null, clock.now());
    }
    return this.startRuns(graph, policy, valid);
  }

  /** Null when the payload fits the pipeline's `event` schema (or it declares none), else why not. */
  private async checkPayload(graph: PipelineGraph, event: EventRecord): Promise<string | null> {
    if (graph.eventSchema === undefined) return null;
    const result = await this.options.validator.parseParams({ file: graph.file, pipelineId: graph.id, event: { payload: event.payload } });
    if (result.ok) return null;
    return `the payload does not match the event schema of ${graph.id}: ${result.problems.map((p) => (p.param ? `${p.param}: ${p.message}` : p.message)).join("; ")}`;
  }

  private async startRuns(graph: PipelineGraph, policy: EventBatchPolicy, events: EventRecord[]): Promise<{ created: number; wakeAt: number | null }> {
    if (events.length === 0) return { created: 0, wakeAt: null };
    const nowMs = this.options.clock.now();
    if (policy.mode === "each") {
      let created = 0;
      for (const event of events) created += await this.startRun(graph, [event], event.payload, [{ eventId: event.id, outcome: "started" }]);
      return { created, wakeAt: null };
    }
    if (policy.mode === "latest") {
      // One run at a time: while one is queued or running, events wait and are coalesced when it ends.
      const active = await this.options.store.listRuns({ pipelineId: graph.id, trigger: "event", states: ["queued", "running"], limit: 1 });
      if (active.length > 0) return { created: 0, wakeAt: null };
      const newest = events[events.length - 1]!;
      const deliveries: NewDelivery[] = events.map((e) => ({ eventId: e.id, outcome: e === newest ? "started" : "superseded" }));
      return { created: await this.startRun(graph, [newest], newest.payload, deliveries), wakeAt: null };
    }
    let created = 0;
    let rest = events;
    while (rest.length >= policy.max) {
      const batch = rest.slice(0, policy.max);
      rest = rest.slice(policy.max);
      created += await this.startBatch(graph, batch);
    }
    if (rest.length === 0) return { created, wakeAt: null };
    const due = rest[0]!.receivedMs + policy.windowMs;
    if (due > nowMs) return { created, wakeAt: due };
    return { created: created + (await this.startBatch(graph, rest)), wakeAt: null };
  }

  private startBatch(graph: PipelineGraph, batch: EventRecord[]): Promise<number> {
    return this.startRun(
      graph,
      batch,
      batch.map((e) => e.payload),
      batch.map((e) => ({ eventId: e.id, outcome: "started" as const })),
    );
  }

  /** One run for `events` (logical date: the newest one's time), committed with their deliveries. */
  private async startRun(graph: PipelineGraph, events: EventRecord[], payload: unknown, deliveries: NewDelivery[]): Promise<number> {
    const at = events[events.length - 1]!.receivedMs;
    const run = newRunFor(graph, "event", { logicalDateMs: at, intervalStartMs: at, intervalEndMs: at }, { params: { [EVENT_PARAM]: payload } });
    crashPoint("before_event_delivery");
    const result = await this.options.store.events.deliverEvents(graph.id, deliveries, run, this.options.clock.now());
    crashPoint("after_event_delivery");
    return result.delivered ? 1 : 0;
  }

  /**
   * Every upstream success not yet consumed is consumed once; when it completes a logical date (every
   * upstream has a successful run for it), the pipeline gets its run for that date (a scheduled run: one
   * per logical date).
   */
  private async takeUpstreamRuns(graph: PipelineGraph, schedule: AfterSchedule): Promise<number> {
    const { store, clock } = this.options;
    const scannedAt = clock.now();
    const pending = await store.events.pendingUpstreamRuns(graph.id, schedule.pipelines, await this.sinceOf(graph.id), PENDING_LIMIT);
    this.noteQuiet(graph.id, scannedAt, pending.length);
    const byDate = new Map<number, RunRecord[]>();
    for (const run of pending) byDate.set(run.logicalDateMs, [...(byDate.get(run.logicalDateMs) ?? []), run]);
    let created = 0;
    for (const [logicalDateMs, runs] of byDate) {
      const succeeded = new Set((await store.events.successfulRunsAt(schedule.pipelines, logicalDateMs)).map((r) => r.pipelineId));
      const complete = schedule.pipelines.every((id) => succeeded.has(id));
      const first = runs[0]!;
      const run = complete ? newRunFor(graph, "scheduled", { logicalDateMs, intervalStartMs: first.intervalStartMs, intervalEndMs: first.intervalEndMs }) : null;
      const result = await store.events.consumeUpstreamRuns(graph.id, runs.map((r) => r.id), run, clock.now());
      if (result.consumed && run !== null && result.runId === run.id) created++;
    }
    return created;
  }

  private armWake(atMs: number | null): void {
    this.wakeTimer?.();
    this.wakeTimer = atMs === null || this.stopped ? null : this.options.clock.at(atMs, () => this.kick(this.paused));
  }
}
