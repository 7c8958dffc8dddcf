// The Coordinator's public shapes (its options, what a listener hears, tick timings; re-exported by
// coordinator.ts) and those of its tick, kept apart from the class so coordinator.ts holds only the tick loop.
import type { Decision, EngineEvent, InstanceTransition } from "../engine/types.js";
import type { RunState } from "../engine/states.js";
import type { LeaseFence, RunRecord, Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import type { Executor } from "./executor.js";
import type { PipelineLoader } from "./sub-runs.js";
import type { PendingJob } from "./try-jobs.js";

/** What a listener hears after a decision is committed. */
export interface RunChange {
  run: RunRecord;
  transitions: readonly InstanceTransition[];
  runState: RunState;
  nowMs: number;
}

export type RunChangeListener = (change: RunChange) => void;

export interface CoordinatorOptions {
  store: Store;
  /** Every decision this coordinator commits is fenced by this lease (a scheduler's: refused once another owns it). */
  fence?: LeaseFence;
  executor: Executor;
  clock: Clock;
  /** WEIR_HOME: where try logs go. */
  home: string;
  /** Slots of a pool (tries running in it at once, across runs); default: unlimited. */
  poolSlots?: (pool: string) => number;
  /** Told when a committed decision put notifications in the outbox. */
  outbox?: { kick(): void };
  /** Told after each tick that committed something: how long the tick and its commit took (metrics). */
  onTick?: (timing: TickTiming) => void;
  /** Loads the pipelines of sub-pipeline tasks (default: the executor, when it can load files). */
  pipelines?: PipelineLoader;
}

export interface TickTiming {
  tickMs: number;
  commitMs: number;
  decisions: number;
}

/** An event waiting for the next tick. */
export interface QueuedEvent {
  runId: string;
  event: EngineEvent;
}

/** One decision of a tick, with what made it and what to do once it is committed. */
export interface Planned {
  decision: Decision;
  events: readonly EngineEvent[];
  /** Result and timer events are facts: if their decision is rolled back, they are delivered again. */
  replayable: boolean;
  jobs: PendingJob[];
}
