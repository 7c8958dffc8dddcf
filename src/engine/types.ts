// The engine's vocabulary: the run snapshot it reads, the events it takes (past-tense facts), and the
// decision it returns (guarded transitions, actions, timers). Plain data only: the store persists a
// decision in one transaction, the scheduler performs its actions after that commit.
import type { RetryPolicy, RunAlerts, TaskAlerts } from "../graph/types.js";
import type { RunState, TaskState, TriggerRule } from "./states.js";

export type { RetryPolicy };

/** How a mapped task fans out, as the engine sees it. */
export interface EngineMapping {
  mode: "item" | "zip" | "product";
  /** Upstream task ids it maps over, in declaration order (one for "item"). */
  sources: readonly string[];
}

/** What the engine needs to know of a task: nothing that runs code. */
export interface EngineTask {
  id: string;
  /** Direct upstream task ids (needs ∪ after ∪ map sources), deduplicated. */
  upstream: readonly string[];
  trigger: TriggerRule;
  retry: RetryPolicy;
  alerts: TaskAlerts;
  /** Set for a mapped task: its instances are created at run time (see mapping.ts). */
  mapping: EngineMapping | null;
  /** Set for a branch task: "choose" follows the tasks its try names, "short_circuit" all or nothing. */
  branch: "choose" | "short_circuit" | null;
  /** Whether some direct upstream / downstream task is mapped: otherwise its edges are plain task ids. */
  mappedUpstream: boolean;
  mappedDownstream: boolean;
}

/** An expanded mapped task: how many instances it has, and for "product" the length of each source. */
export interface Expansion {
  count: number;
  shape: readonly number[] | null;
}

/** A pipeline version compiled for the engine: built once per version and shared by its runs. */
export interface EngineGraph {
  tasks: ReadonlyMap<string, EngineTask>;
  downstream: ReadonlyMap<string, readonly string[]>;
  /** Task ids in a topological order. */
  order: readonly string[];
  /** Notifiers told when a run ends. */
  runAlerts: RunAlerts;
}

/** Counts of an instance's direct upstream instances by terminal outcome, kept incrementally. */
export interface UpstreamCounts {
  success: number;
  skipped: number;
  failed: number;
  upstreamFailed: number;
  /** removed and canceled upstreams: done, neither success nor failure of their own. */
  removed: number;
  /** Number of direct upstream instances in all (constant for a run). */
  total: number;
}

export interface InstanceSnapshot {
  taskId: string;
  mapIndex: number;
  state: TaskState;
  /** Number of the latest try, 0 before the first one. */
  tryNumber: number;
  /** When an up_for_retry instance may be scheduled again (epoch ms), else null. */
  retryAtMs: number | null;
  /** Tries of this instance lost with their worker or driver (not the task's fault): they don't use retries. */
  lostTries: number;
  /**
   * Tries made before the instance was last cleared (`weir clear`): they don't use its retries, so a cleared
   * instance gets its whole retry budget again (Airflow resets max_tries on clear). 0 if never cleared.
   */
  retryBase: number;
  counts: UpstreamCounts;
}

/** The scheduler's in-memory view of one run, changed only by `applyDecision`. */
export interface RunSnapshot {
  runId: string;
  state: RunState;
  graph: EngineGraph;
  /** Keyed by `instanceKey(taskId, mapIndex)`. */
  instances: Map<string, InstanceSnapshot>;
  /** Instances not yet in a terminal state: the run ends when this reaches 0. */
  unfinished: number;
  /** Instances that ended failed or upstream_failed. */
  failed: number;
  /** Mapped tasks that were expanded (their placeholder at map index -1 replaced by instances 0…count-1). */
  expansions: Map<string, Expansion>;
  /**
   * Lengths of the outputs of successful unmapped tasks that some task maps over (null: not an array). The
   * engine never reads outputs: the scheduler tells it the length with the success (`mapLength`).
   */
  mapLengths: Map<string, number | null>;
}

/** A failure crosses processes as data (Temporal's failure converter, Dagster's error boundary). */
export interface TaskFailure {
  name: string;
  message: string;
  stack?: string;
  /** False for failures that must not be retried (FailWithoutRetry, a value that can't be serialized). */
  retryable: boolean;
  /** What kind of failure: user code threw, the try ran past its timeout, its worker was lost, … */
  kind: "error" | "timeout" | "lost" | "canceled";
}

export interface InstanceRef {
  taskId: string;
  mapIndex: number;
}

interface TryRef extends InstanceRef {
  tryNumber: number;
}

/**
 * How a success relates to the cache (docs/caching.md): `cacheKey` is the key a try that really ran was
 * computed under (stored with it, for later runs to find); `cached` marks a success that reused a result.
 * The engine passes both through to the store unread.
 */
interface CacheFacts {
  cacheKey?: string;
  cached?: boolean;
}

interface TryEnd extends TryRef {
  /** When the worker really started the try (epoch ms), if it reported it. */
  startedMs?: number;
}

/** Events are facts that already happened; applying one twice is the same as applying it once. */
export type EngineEvent =
  | { kind: "run_started" }
  /** The dispatcher claimed a scheduled instance: try `tryNumber` is created. */
  | ({ kind: "try_queued" } & TryRef)
  /** A worker took the try; committed before any user code runs. */
  | ({ kind: "try_started"; worker?: string } & TryRef)
  /** try_queued and try_started in one: the dispatcher claimed the instance for a worker it hands the try to after the commit. */
  | ({ kind: "try_dispatched"; worker?: string } & TryRef)
  /**
   * `output` is the encoded value, persisted with the try; the engine doesn't read it. `mapLength` is the
   * length of the output when some task maps over this one (null: not an array). `follow` is what a branch
   * task chose: the ids of the direct downstream tasks to follow (a short-circuit: all of them, or none).
   */
  | ({ kind: "try_succeeded"; output?: string; mapLength?: number | null; follow?: readonly string[] } & CacheFacts & TryEnd)
  | ({ kind: "try_failed"; error: TaskFailure } & TryEnd)
  /** The task asked to be skipped (SkipTask). */
  | ({ kind: "try_skipped"; reason?: string } & TryEnd)
  /** A retry timer fired. */
  | ({ kind: "retry_due" } & InstanceRef)
  /**
   * A deferred sensor's check said "not yet" (docs/sensors.md): its running try moves to `deferred`, holding no
   * worker or pool slot, until the trigger loop's next check at `nextCheckAtMs`. "Done" is an ordinary
   * try_succeeded (or try_failed / try_skipped on a timeout) from `deferred`.
   */
  | ({ kind: "sensor_poked"; result: "not_yet"; nextCheckAtMs: number } & TryRef)
  | { kind: "run_cancel_requested"; reason?: string }
  /**
   * The run was rebuilt from the store (a resume, or another writer changed it): every pending instance
   * whose trigger rule has decided moves on. O(instances), once per rebuild.
   */
  | { kind: "run_reconciled" }
  /**
   * The run went past its pipeline's `timeout` (dagrun timeout): tries in flight fail (not retried) and are
   * stopped, tasks that had not started are skipped, and the run fails.
   */
  | { kind: "run_timed_out"; timeoutMs: number }
  /**
   * A user cleared these instances so they run again (`weir clear`). Each one that ended (success, failed,
   * skipped, upstream_failed, canceled) goes back to pending, keeping its try number (its next try is
   * tryNumber + 1; earlier tries stay as history), then moves on as its trigger rule decides. A run that had
   * ended runs again. Instances that have not ended, removed ones and unknown keys are left alone.
   */
  | { kind: "instances_cleared"; keys: readonly InstanceRef[]; reason?: string }
  /**
   * A user marked an instance success or failed (Airflow's "mark success/failed"; the API and `weir`). A
   * try in flight is stopped (cancel_try) and ends in that state; an instance that had not started, or had
   * ended in another state, moves there without a try. What was pending downstream moves on by its trigger
   * rule; a failed or successful run whose instances have all ended is re-judged (a canceled one stays).
   */
  | ({ kind: "instance_marked"; state: "success" | "failed"; reason?: string } & InstanceRef);

export type EngineEventKind = EngineEvent["kind"];

export interface InstanceTransition {
  taskId: string;
  mapIndex: number;
  from: TaskState;
  to: TaskState;
  /** The try this transition concerns (new try number on try_queued), else the instance's current one. */
  tryNumber: number;
  /** Set on transitions into up_for_retry. */
  retryAtMs?: number;
  /** Set when a try ends successfully. */
  output?: string;
  /** Set when a try ends in failure (also on a failure that is retried). */
  error?: TaskFailure;
  /** Set on transitions a try didn't cause (skips, upstream failures, cancellations, clears): why. */
  reason?: string;
  /** Set on try_started: which worker took it. */
  worker?: string;
  /** Set when a try ends and its worker said when it really started (it may have waited there). */
  startedMs?: number;
  /** Set on success of a task something maps over: its output's length (null: not an array). */
  mapLength?: number | null;
  /** Set on a success computed under a cache key / that reused a cached result (see CacheFacts). */
  cacheKey?: string;
  cached?: boolean;
}

/**
 * A mapped task's placeholder instance (map index -1, pending) is replaced by `count` pending instances
 * 0…count-1. `at` is how many of the decision's transitions came before it: it is applied between them.
 */
export interface MapExpansion {
  taskId: string;
  count: number;
  /** For "product": the length of each source, in order. */
  shape: readonly number[] | null;
  at: number;
  /**
   * The try number the new instances start at, when not 0: a task that was collapsed (MapCollapse) keeps
   * counting tries where its earlier instances stopped, so no try number (log, artifact) is used twice.
   */
  tryNumber?: number;
}

/**
 * The inverse of a MapExpansion: a cleared mapped task whose source was cleared too goes back to its
 * placeholder (map index -1, pending, at try `tryNumber`: the highest of its instances'), so it expands
 * again, to the new length, when the source succeeds again. Its `count` instances, all pending, are removed
 * (with their tries). `at` as in MapExpansion.
 */
export interface MapCollapse {
  taskId: string;
  count: number;
  tryNumber: number;
  at: number;
}

export interface RunTransition {
  from: RunState;
  to: RunState;
}

/** Side effects the scheduler performs after the decision is committed (an outbox). */
export type NotifyEvent = "task_failed" | "task_retry" | "task_success" | "run_failed" | "run_success";

export type EngineAction =
  /** Stop a running or queued try (run canceled). */
  | { kind: "cancel_try"; taskId: string; mapIndex: number; tryNumber: number; reason: string }
  /** Tell these notifiers (an outbox: stored with the decision, delivered after the commit). */
  | {
      kind: "notify";
      event: NotifyEvent;
      notifiers: readonly string[];
      taskId?: string;
      mapIndex?: number;
      tryNumber?: number;
      error?: { name: string; message: string };
    };

export interface Timer {
  atMs: number;
  event: EngineEvent;
}

export interface Decision {
  runId: string;
  /** The time the decision was made at: the store writes it as the transitions' timestamp. */
  nowMs: number;
  run?: RunTransition;
  transitions: InstanceTransition[];
  /** Mapped tasks expanded by this decision (absent when none). */
  expansions?: MapExpansion[];
  /** Mapped tasks collapsed back to their placeholder by this decision (a clear; absent when none). */
  collapses?: MapCollapse[];
  actions: EngineAction[];
  timers: Timer[];
  /**
   * Run requests of other processes (`weir server`'s clear, cancel, mark) whose events this decision carries
   * out: recorded done in the decision's own transaction, so a crash can't lose a request reported done, nor
   * carry one out twice. Set by the scheduler, never by the engine.
   */
  requestIds?: string[];
}

export function instanceKey(taskId: string, mapIndex: number): string {
  return mapIndex < 0 ? taskId : `${taskId}[${mapIndex}]`;
}

export function isEmptyDecision(decision: Decision): boolean {
  return (
    decision.run === undefined &&
    decision.transitions.length === 0 &&
    (decision.expansions?.length ?? 0) === 0 &&
    (decision.collapses?.length ?? 0) === 0 &&
    decision.actions.length === 0 &&
    decision.timers.length === 0 &&
    (decision.requestIds?.length ?? 0) === 0
  );
}
