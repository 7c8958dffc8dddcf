// The store's side of distributed execution (docs/distributed.md): workers registering and heartbeating,
// tries queued by a scheduler and claimed by workers of their queue, results reported back under the
// claiming worker's guard, lost workers detected by their heartbeat, and remote tries' log chunks.

import type { LeaseFence } from "./lease-types.js";

export type WorkerState = "alive" | "lost" | "stopped";

export type WakeChannel = "queue" | "results";

export interface NewWorker {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  slots: number;
  version: string;
}

export interface WorkerRecord extends NewWorker {
  inUse: number;
  startedMs: number;
  /** Last heartbeat (the database's clock on Postgres, the worker's on SQLite). */
  heartbeatMs: number;
  state: WorkerState;
}

export interface QueuedTry {
  tryKey: string;
  queue: string;
  /** The TryJob as JSON: the store doesn't look inside. */
  jobJson: string;
  /** The try this is (its row in `tries`): the claim writes the claiming worker's id there. */
  ref?: TryRef;
}

export interface TryRef {
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
}

/** A stored piece of a remote try's log: its text and the byte offset (of its UTF-8) where it starts. */
export interface LogChunkRecord {
  offset: number;
  text: string;
}

export interface ClaimedTry {
  tryKey: string;
  jobJson: string;
}

export interface AdoptedTry {
  tryKey: string;
  queue: string;
  state: "queued" | "claimed" | "done";
  jobJson: string;
}

export interface ReportedTry {
  tryKey: string;
  /** The TryResult as JSON. */
  resultJson: string;
  startedMs: number | null;
  endedMs: number | null;
}

export interface LostWorkerTries {
  workerId: string;
  /** This scheduler's tries the worker had claimed: to report as lost. */
  tryKeys: string[];
}

export interface DistributedStore {
  /** Registers (or re-registers) a worker as alive with a fresh heartbeat. */
  registerWorker(worker: NewWorker, nowMs: number): Promise<void>;
  /** Records a heartbeat and the slots in use; false when the worker was declared lost or stopped (it must re-register). */
  heartbeat(workerId: string, inUse: number, nowMs: number): Promise<boolean>;
  /** A worker leaving on purpose. */
  stopWorker(workerId: string): Promise<void>;
  /** Every registered worker, alive first, then by id. */
  listWorkers(): Promise<WorkerRecord[]>;
  /**
   * Queues tries for workers (one transaction); a try already queued is left as it is. With a `fence`, nothing
   * is queued (`scheduler_fenced`) unless its owner still holds its lease: a scheduler that was taken over
   * can no longer hand out tries.
   */
  enqueueTries(schedulerId: string, tries: readonly QueuedTry[], nowMs: number, fence?: LeaseFence): Promise<void>;
  /**
   * Claims up to `limit` queued tries of `queues`, oldest first, for an alive worker; a try queued with its
   * `ref` gets the worker's id as its `worker` (tries.worker) in the same transaction.
   */
  claimTries(workerId: string, queues: readonly string[], limit: number, nowMs: number): Promise<ClaimedTry[]>;
  /** A worker's result: false (and nothing changed) unless this worker still holds the claim. */
  completeTry(workerId: string, report: ReportedTry): Promise<boolean>;
  /**
   * Results of this scheduler's tries, each returned once: removed from the queue, or with `keepAs` kept under
   * that scheduler id until `forgetResults` of their keys, so that a scheduler taking over after a crash
   * between taking a result and committing it finds the result still there (adoptOtherSchedulers).
   */
  takeResults(schedulerId: string, keepAs?: string): Promise<ReportedTry[]>;
  /**
   * Removes the kept results of these tries (their decisions are committed by now). With a `fence`, nothing is
   * removed (`scheduler_fenced`) unless its owner still holds its lease: the results are the successor's.
   */
  forgetResults(tryKeys: readonly string[], fence?: LeaseFence): Promise<void>;
  /** Stops a try: a queued one is removed (`dequeued`), a claimed one gets an abort request for its worker. */
  requestAbort(tryKey: string, reason: "timeout" | "canceled"): Promise<"dequeued" | "requested" | "none">;
  /** Abort requests for the tries a worker holds. */
  abortRequests(workerId: string): Promise<{ tryKey: string; reason: "timeout" | "canceled" }[]>;
  /**
   * Declares alive workers whose last heartbeat is older than `timeoutMs` lost, then removes this
   * scheduler's tries claimed by workers no longer alive (lost, or stopped with a claim left) and returns
   * them: their worker can no longer report them.
   */
  reapLostWorkers(schedulerId: string, timeoutMs: number, nowMs: number, fence?: LeaseFence): Promise<LostWorkerTries[]>;
  /** Another scheduler's leftovers (this one replaced it): queued and reported rows removed, claimed ones asked to abort. */
  dropOtherSchedulers(schedulerId: string): Promise<void>;
  /**
   * Every other scheduler's rows become this scheduler's, as they are (queued, claimed by a worker that goes
   * on running them, or reported): a scheduler taking the lease over follows the tries its predecessor handed
   * out instead of running them again. Returns them. With a `fence`, nothing is adopted (`scheduler_fenced`)
   * unless its owner holds its lease: a scheduler that is refused takes nothing from the one running.
   */
  adoptOtherSchedulers(schedulerId: string, fence?: LeaseFence): Promise<AdoptedTry[]>;
  /**
   * Calls `onNotify` soon after tries are queued (`queue`, for workers) or reported (`results`, for
   * schedulers), on Postgres (LISTEN/NOTIFY); resolves to how to stop, or null where there is no such signal
   * (SQLite): callers poll either way, the signal only shortens the wait.
   */
  subscribe(channel: WakeChannel, onNotify: () => void): Promise<(() => void) | null>;
  /**
   * Stores one chunk of a remote try's log: `seq` from 0, in order; `offset` the byte offset (UTF-8) where its
   * text starts, the bytes of the chunks before it. A chunk already stored under `seq` is left as it is.
   */
  appendLogChunk(tryKey: string, seq: number, offset: number, text: string): Promise<void>;
  /**
   * Up to `limit` chunks of a remote try's log, in order, starting with the one that holds byte `offset`
   * (its own `offset` may be lower: the caller cuts), so a reader following the log reads only what is new.
   * Empty when nothing was stored from there on.
   */
  readLogFrom(tryKey: string, offset: number, limit: number): Promise<LogChunkRecord[]>;
}
