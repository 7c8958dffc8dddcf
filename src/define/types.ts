// The public types of the authoring API (DESIGN.md §3). Wiring is typed: a task's `needs` maps input
// names to references of upstream tasks, and the task function receives their outputs with their types.
import type { TriggerRule } from "./trigger-rule-names.js";
import type { Duration } from "./duration.js";

declare const outputType: unique symbol;

/**
 * A typed reference to a task's output, returned by `p.task` and `p.shell`. Pass it in another task's
 * `needs` to receive the output, in `after` to only order, or in `map` to fan out over it.
 */
export interface TaskRef<T> {
  readonly kind: "task";
  readonly id: string;
  /**
   * Phantom: carries the output type for `needs`. Never set at run time, but required in the type, so a
   * reference can only come from `p.task`/`p.shell` (an object literal can't name this symbol).
   */
  readonly [outputType]: T;
}

/** The output type of a task reference. */
export type OutputOf<R> = R extends TaskRef<infer T> ? T : never;

/** Named upstream references a task needs. */
export type Needs = Record<string, TaskRef<unknown>>;

/** What a task function receives for its `needs`: each name bound to that upstream's output. */
export type Inputs<N extends Needs> = { readonly [K in keyof N]: OutputOf<N[K]> };

/** Inputs of a task whose trigger rule lets it run when an upstream did not succeed: each input may be missing. */
export type MaybeInputs<N extends Needs> = { readonly [K in keyof N]: OutputOf<N[K]> | undefined };

/**
 * The inputs a task gets under its trigger rule: only `all_success` (the default) guarantees every
 * upstream succeeded, so under any other rule each input may be `undefined`.
 */
export type InputsFor<N extends Needs, Tr extends TriggerRule> = [Tr] extends ["all_success"] ? Inputs<N> : MaybeInputs<N>;

export interface DataInterval {
  start: Date;
  end: Date;
}

/** Structured log lines written to the try's log, timestamped. */
export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything a task function knows about the try it runs in. */
export interface TaskContext<P = EmptyParams, Ev = unknown> {
  readonly runId: string;
  readonly pipelineId: string;
  readonly taskId: string;
  /** -1 for an unmapped task, 0…n-1 for the instances of a mapped one. */
  readonly mapIndex: number;
  readonly logicalDate: Date;
  /** The data interval the run covers: [start, end). */
  readonly interval: DataInterval;
  readonly params: P;
  /** 1 for the first try, 2 for the first retry, … */
  readonly tryNumber: number;
  /** The number of the last try this instance may use: retries + 1, counted from its last `weir clear`. */
  readonly maxTries: number;
  /** Stable across the tries of one task instance: use it to make side effects idempotent. */
  readonly idempotencyKey: string;
  readonly log: TaskLogger;
  /** Fires when the try times out or the run is canceled: pass it to fetch, child processes, … */
  readonly signal: AbortSignal;
  /**
   * The payload of the event that started the run (validated by the pipeline's `event` schema), the array of
   * payloads for a batched run, undefined for a run no event started (docs/events.md).
   */
  readonly event: Ev | undefined;
}

/** The parameters type of a pipeline without a params schema. */
export type EmptyParams = Record<string, never>;

/** Retry and timeout options: settable per task and, for all tasks, in the pipeline's `defaults`. */
export interface RetryOptions {
  /** Retries after the first try (default 0). */
  retries?: number;
  /** Delay before a retry (default "30s"); with exponential backoff, the delay before the first retry. */
  retryDelay?: Duration;
  /** "fixed" waits `retryDelay` each time; "exponential" doubles it each retry, with jitter. */
  backoff?: "fixed" | "exponential";
  /** Upper bound of any retry delay (default "1h"). */
  maxRetryDelay?: Duration;
  /** A try running longer is stopped and fails with a timeout error (retried per policy). */
  timeout?: Duration;
}

export interface CacheOptions<P, I> {
  /** Overrides the default key (hash of the task's code, inputs and params). */
  key?: (ctx: TaskContext<P>, inputs: I) => string;
  /** How long a cached result stays valid. */
  ttl?: Duration;
}

/** Options of every task kind. */
export interface CommonTaskOptions extends RetryOptions {
  /** Orders after these tasks without passing their data. */
  after?: readonly TaskRef<unknown>[];
  /** When the task may run given its upstreams' outcomes (default "all_success"). */
  trigger?: TriggerRule;
  /** Routes the task to workers serving this queue (default "default"). */
  queue?: string;
  /** Takes a slot of this pool while it runs (default "default"). */
  pool?: string;
  /** Higher runs first among tasks waiting for the same pool. */
  priority?: number;
  /** A human description, shown in the UI. */
  description?: string;
  /** Notifiers told when this task fails for good (names configured with WEIR_NOTIFIER_<NAME>). */
  onFailure?: readonly string[];
  /** Notifiers told when a try of this task fails and will be retried. */
  onRetry?: readonly string[];
  /** Notifiers told when this task succeeds. */
  onSuccess?: readonly string[];
}

export interface TaskOptions<P, N extends Needs, Tr extends TriggerRule = TriggerRule> extends Omit<CommonTaskOptions, "trigger"> {
  /** When the task may run given its upstreams' outcomes (default "all_success"). */
  trigger?: Tr;
  /** Upstream outputs this task receives, by name, with their types. */
  needs?: N;
  /** Reuse a previous successful result when the cache key matches. */
  cache?: boolean | CacheOptions<P, Inputs<N>>;
}

/** Options every mapped task has. */
interface MappingLimits {
  /** At most this many instances of this mapped task run at once (per run); default: no limit of its own. */
  maxParallel?: number;
}

export interface MappedTaskOptions<P, N extends Needs, E, Tr extends TriggerRule = TriggerRule> extends TaskOptions<P, N, Tr>, MappingLimits {
  /**
   * Fan out at run time: one task instance per element of this upstream array. When the upstream is itself
   * a mapped task, instance i of this task gets the result of its instance i (and waits only for that one).
   */
  map: TaskRef<readonly E[]>;
}

/** Several upstream arrays to map over together, by name. */
export type MapSources = Record<string, TaskRef<readonly unknown[]>>;

/** The element type of an array type. */
export type ElementOf<A> = A extends readonly (infer E)[] ? E : never;

/** What one instance of a task mapped over several upstreams receives: one element of each, by name. */
export type MapItem<M extends MapSources> = { readonly [K in keyof M]: ElementOf<OutputOf<M[K]>> };

export interface MultiMappedTaskOptions<P, N extends Needs, M extends MapSources, Tr extends TriggerRule = TriggerRule> extends TaskOptions<P, N, Tr>, MappingLimits {
  /** Map over several upstream arrays at once: `{ a, b }`; each instance receives `{ a: a[i], b: b[i] }`. */
  map: M;
  /**
   * "zip" (default): instance i takes element i of every array (the arrays must have the same length, or the
   * mapped task fails). "product": one instance per combination, the last name varying fastest.
   */
  mapMode?: "zip" | "product";
}

/** What a branch function returns: the direct downstream task(s) to follow; an empty array follows none. */
export type BranchChoice = TaskRef<unknown> | readonly TaskRef<unknown>[] | null | undefined;

export interface ShellOptions extends CommonTaskOptions {
  /** Extra environment variables for the command (params and run facts arrive as WEIR_* variables). */
  env?: Record<string, string>;
  /** Working directory of the command (default: the directory of the pipeline file). */
  cwd?: string;
}

/**
 * How events of an event schedule become runs (docs/events.md): "each" (default) one run per event;
 * "latest" one run at a time, with the newest of the events that arrived meanwhile; `{ max, window }`
 * one run per up to `max` events, started when `max` are pending or `window` after the oldest pending one.
 */
export type EventBatch = "each" | "latest" | { readonly max: number; readonly window: Duration };

/**
 * Schedule of a pipeline: cron ("0 2 * * *"), a preset ("@daily"), an interval ("15m"), null (manual),
 * `{ events: ["name"], batch?, cron? }` (runs per event, and also on the cron if given) or
 * `{ after: ["pipeline_id"], cron? }` (a run when every listed pipeline's run for a logical date succeeded).
 */
export type Schedule = string | null | { events: readonly string[]; batch?: EventBatch; cron?: string } | { after: readonly string[]; cron?: string };

/** Retry and timeout defaults for every task of a pipeline. */
export type TaskDefaults = RetryOptions;
