// The types of events and completion triggers (docs/events.md, store/events.ts). No imports: store/types.ts
// names the run types (`EventStore<NewRun, RunRecord>`), so neither file depends on the other's.

/** What a subscribing pipeline did with an event: started a run, was covered by a newer event's run (`latest`), or refused it. */
export type EventOutcome = "started" | "superseded" | "rejected";

export interface EventDelivery {
  eventId: string;
  pipelineId: string;
  outcome: EventOutcome;
  /** The run the event started (or, superseded, the run that took a newer event in its place). */
  runId: string | null;
  /** Why a rejected event started nothing (its payload did not match the pipeline's `event` schema, …). */
  reason: string | null;
  doneMs: number;
}

export interface EventRecord {
  id: string;
  name: string;
  payload: unknown;
  receivedMs: number;
  /** One per subscribing pipeline that has handled the event, oldest first. */
  deliveries: EventDelivery[];
}

export interface NewEvent {
  id: string;
  name: string;
  payload: unknown;
}

export interface NewDelivery {
  eventId: string;
  outcome: EventOutcome;
  reason?: string | null;
}

export interface EventFilter {
  name?: string | undefined;
  /** Keyset cursor: events older than this one. */
  before?: { receivedMs: number; id: string } | undefined;
  limit: number;
}

export interface EventStore<NewRun, RunRecord> {
  /** Records an event (durably: resolved after commit). */
  recordEvent(event: NewEvent, nowMs: number): Promise<EventRecord>;
  getEvent(id: string): Promise<EventRecord | null>;
  /** Newest first, with what each subscribing pipeline did with them. */
  listEvents(filter: EventFilter): Promise<EventRecord[]>;
  /** The events that started (or were superseded into) a run. */
  eventsOfRun(runId: string): Promise<EventDelivery[]>;
  /** Epoch ms the pipeline's first version was saved, or null if it never was. */
  pipelineFirstRegisteredMs(pipelineId: string): Promise<number | null>;
  /** Events of `names` received at or after `sinceMs` that `pipelineId` has not handled yet, oldest first (no deliveries). */
  pendingEvents(pipelineId: string, names: readonly string[], sinceMs: number, limit: number): Promise<EventRecord[]>;
  /**
   * Records what `pipelineId` did with these events and creates `run` (when given) in one transaction. The run's
   * logical date moves forward by a millisecond while another run of the pipeline has it, so event runs have
   * unique logical dates. Nothing is written when one of the events was already handled by this pipeline
   * (`delivered: false`): exactly once per event and pipeline.
   */
  deliverEvents(pipelineId: string, deliveries: readonly NewDelivery[], run: NewRun | null, nowMs: number): Promise<{ delivered: boolean; runId: string | null }>;
  /** Successful runs of `upstreams` that ended at or after `sinceMs` and `pipelineId` has not consumed, oldest first. */
  pendingUpstreamRuns(pipelineId: string, upstreams: readonly string[], sinceMs: number, limit: number): Promise<RunRecord[]>;
  /** Successful runs of these pipelines for one logical date. */
  successfulRunsAt(pipelineIds: readonly string[], logicalDateMs: number): Promise<RunRecord[]>;
  /**
   * Records that `pipelineId` consumed these upstream runs and creates `run` (when given) in one transaction
   * (a scheduled run: unique per logical date). `consumed: false` and nothing written when one of them was
   * already consumed.
   */
  consumeUpstreamRuns(pipelineId: string, upstreamRunIds: readonly string[], run: NewRun | null, nowMs: number): Promise<{ consumed: boolean; runId: string | null }>;
}
