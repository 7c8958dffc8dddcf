// The outbox's records (store/outbox.ts): notifications decided in a transaction, delivered after commit.
import type { EngineAction } from "../engine/types.js";

/** A notification waiting in the outbox, with what delivery needs of its run. */
export interface OutboxRecord {
  id: string;
  runId: string;
  pipelineId: string;
  logicalDateMs: number;
  createdMs: number;
  /** A notify action of the engine, or a missed deadline the scheduler found (`recordDeadlineMissed`). */
  action: Omit<Extract<EngineAction, { kind: "notify" }>, "event"> & { event: Extract<EngineAction, { kind: "notify" }>["event"] | "deadline_missed"; deadline?: DeadlineMissed };
}

/** What a `deadline_missed` notification says about the deadline (README "Alerts"). */
export interface DeadlineMissed {
  afterMs: number;
  /** Interval end + afterMs. */
  dueMs: number;
  /** The run's state when the miss was found (queued or running). */
  state: string;
}
