// The pipeline graph: the serializable, validated form of a pipeline. Workers compile it from the user's
// module and hand it to the scheduler as JSON, so the scheduler and server never run user code.
import type { Schedule } from "../define/types.js";
import type { TriggerRule } from "../define/trigger-rule-names.js";
import type { ExternalProbe, SqlProbe } from "../define/sensor.js";

export interface RetryPolicy {
  /** Retries after the first try: a task with retries 2 runs at most 3 tries. */
  retries: number;
  retryDelayMs: number;
  backoff: "fixed" | "exponential";
  /** Upper bound of any computed delay, jitter included. */
  maxRetryDelayMs: number;
}

/** How a mapped task expands at run time. */
export interface TaskMapping {
  /** "item": over one upstream array; "zip": element i of each; "product": every combination (last varies fastest). */
  mode: "item" | "zip" | "product";
  /** Name → upstream task id, in declaration order ("item" has the one entry `item`). */
  over: Record<string, string>;
  /** At most this many instances running at once, per run; null: no limit of its own. */
  maxParallel: number | null;
}

export interface TaskNode {
  id: string;
  /** "branch": a function whose result picks the downstream to follow (see `branch`). */
  kind: "function" | "shell" | "branch" | "pipeline" | "sensor";
  /** Direct upstream task ids: needs ∪ after ∪ map, deduplicated, in declaration order. */
  upstream: string[];
  /** Input name → upstream task id. */
  needs: Record<string, string>;
  after: string[];
  /** The upstream task this one maps over at run time (the first, when it maps over several); null: not mapped. */
  map: string | null;
  /** How it expands at run time; null when it is not mapped. Absent in graphs compiled before mapping existed. */
  mapping?: TaskMapping | null;
  /** For kind "branch": "choose" follows the returned tasks (`p.branch`), "short_circuit" all or nothing. */
  branch?: "choose" | "short_circuit" | null;
  trigger: TriggerRule;
  retry: RetryPolicy;
  timeoutMs: number | null;
  queue: string;
  pool: string;
  priority: number;
  cache: { enabled: boolean; ttlMs: number | null; customKey: boolean };
  description: string | null;
  /** The shell command, for display; null for function tasks. */
  command: string | null;
  /** Hash of the task's code (function source or command and env): its code version. */
  codeHash: string;
  /** Notifier names told of this task's outcomes. */
  alerts: TaskAlerts;
  /** For kind "pipeline" (`p.pipeline`): the pipeline whose run it starts and waits for, and that run's params. */
  subPipeline?: { pipelineId: string; params: Record<string, unknown> } | null;
  /** For kind "sensor" (`p.sensor`, docs/sensors.md): how it waits. */
  sensor?: SensorSettings | null;
}

/** A sensor's settings, checked (docs/sensors.md). */
export interface SensorSettings {
  mode: "deferred" | "worker";
  pokeIntervalMs: number;
  /** From the first check; null: waits for ever. */
  timeoutMs: number | null;
  softFail: boolean;
  waitsFor: string;
  /** Answered by the trigger loop from a database instead of by a check in a worker. */
  probe: SqlProbe | ExternalProbe | null;
}

export interface TaskAlerts {
  onFailure: string[];
  onRetry: string[];
  onSuccess: string[];
}

export interface RunAlerts {
  onFailure: string[];
  onSuccess: string[];
}

export interface PipelineGraph {
  id: string;
  /** Fingerprint of everything below: a run records the version it started with. */
  version: string;
  /** Absolute path of the file that defines it. */
  file: string;
  description: string | null;
  schedule: Schedule;
  timezone: string;
  /** ISO timestamps, or null. */
  start: string | null;
  end: string | null;
  catchup: boolean;
  tags: string[];
  maxActiveRuns: number;
  maxActiveTasks: number | null;
  timeoutMs: number | null;
  /** Notifier names told when a run ends. */
  alerts: RunAlerts;
  /** JSON Schema of the params (from the zod schema), or null when the pipeline has none. */
  paramsSchema: Record<string, unknown> | null;
  /** JSON Schema of the `event` option (the payload of the events it is scheduled by); absent when none. */
  eventSchema?: Record<string, unknown>;
  /** Alert (never fail) when a run is not done `afterMs` after its interval ends; absent when none. */
  deadline?: RunDeadline;
  tasks: TaskNode[];
  /** Task ids in a topological order (stable: declaration order breaks ties). */
  order: string[];
}

/** A problem with a pipeline, reported by `weir validate` with its file and, where there is one, task. */
export interface RunDeadline {
  afterMs: number;
  /** Notifier names told once per run that misses it. */
  notify: string[];
}

export interface GraphProblem {
  code: string;
  message: string;
  task?: string;
}

export const DEFAULT_RETRY_DELAY_MS = 30_000;
export const DEFAULT_MAX_RETRY_DELAY_MS = 3_600_000;
export const DEFAULT_MAX_ACTIVE_RUNS = 16;
