// The sensor hand-off's records (docs/adr/0007): what the scheduler writes when a sensor's try defers, what
// the trigger loop claims and answers, and what the scheduler and the API read back.
import type { ExternalProbe, SqlProbe } from "../define/sensor.js";

export interface SensorKey {
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
}

/** Written by the scheduler when a sensor's try is handed to the trigger loop. */
export interface NewSensorWait extends SensorKey {
  waitsFor: string;
  /** The worker job one check runs (JSON of a TryJob; opaque to the store). */
  jobJson: string;
  probe: SqlProbe | ExternalProbe | null;
  pokeIntervalMs: number;
  timeoutMs: number | null;
  softFail: boolean;
}

export interface SensorWaitRecord extends NewSensorWait {
  /** When the wait began: its timeout counts from here, across a restart or a lost try. */
  firstCheckMs: number;
  nextCheckMs: number;
  lastCheckMs: number | null;
  checks: number;
  state: "waiting" | "done" | "delivered";
  /** The final result (JSON of a TryResult), once done. */
  resultJson: string | null;
}

/** What a check came to: not yet (check again at `nextCheckMs`), or a final result for the scheduler. */
export type SensorCheckOutcome = { kind: "not_yet"; nextCheckMs: number } | { kind: "done"; resultJson: string };

/** The state of another pipeline's run (or of a task in it), for the external-task sensor. */
export interface ExternalState {
  runId: string;
  runState: string;
  /** The task's instances' states (several for a mapped task); empty when asked for the run. */
  taskStates: string[];
}

export interface SensorStore {
  /**
   * Hands a sensor's try to the trigger loop: its first check is due now. A wait that was interrupted (its try
   * lost with the scheduler) keeps its first-check time; one that had ended starts again.
   */
  defer(wait: NewSensorWait, nowMs: number): Promise<void>;
  /** Claims up to `limit` due waits of deferred instances for `leaseMs` (a lease: two loops never check one at once). */
  claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<SensorWaitRecord[]>;
  /** When the next wait of a deferred instance is due (null: none waits). */
  nextDueMs(): Promise<number | null>;
  /** The earliest next check of a waiting sensor, leased or not (null: none waits): when an answer may come next. */
  nextCheckMs(): Promise<number | null>;
  /** Records a claimed check's outcome; false when the lease was lost meanwhile (nothing written). */
  recordCheck(key: SensorKey, owner: string, outcome: SensorCheckOutcome, nowMs: number): Promise<boolean>;
  /** Results the scheduler has not taken yet: done waits whose instance still waits in `deferred` on that try. */
  results(limit: number): Promise<SensorWaitRecord[]>;
  /** Done waits whose instance has moved on are marked delivered (so `results` stays small). */
  markDelivered(): Promise<number>;
  /** Owners holding a lease now (a trigger loop takes over the leases of owners that are certainly gone). */
  leaseOwners(): Promise<string[]>;
  /** Frees an owner's leases: its waits are due again at once. */
  releaseLeases(owner: string): Promise<number>;
  /** A run's waits (the API: what each deferred task waits for and its next check). */
  listForRun(runId: string): Promise<SensorWaitRecord[]>;
  /** The newest run of a pipeline at a logical date, with a task's instance states (null: no such run). */
  externalState(pipelineId: string, logicalDateMs: number, taskId: string | null): Promise<ExternalState | null>;
}
