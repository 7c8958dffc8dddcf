// The HTTP API's JSON shapes under /api/v1: the one contract between the server (src/api) and the web app
// (ui/), which imports these types rather than re-spelling them. Types only: no runtime code here, so the UI
// bundle takes nothing from the server side. Times are ISO-8601 strings (UTC) or null; durations are ms.
import type { RunState, TaskState, TryState } from "../engine/states.js";
import type { TaskFailure } from "../engine/types.js";
import type { TriggerRule } from "../define/trigger-rule-names.js";
import type { RunDocument } from "../store/run-document.js";
import type { RunTrigger } from "../store/types.js";
import type { ReprocessMode } from "../time/index.js";

export type { RunState, TaskState, TryState, TriggerRule, RunTrigger, ReprocessMode, RunDocument };

/** Every error response: 400 malformed request, 404 unknown id, 409 conflicting state, 422 invalid values. */
export interface ApiError {
  error: { code: string; message: string; where?: Record<string, string | number> };
}

/** A page of a list. `next` is an opaque cursor for the following page, null on the last one. */
export interface Page<T> {
  items: T[];
  next: string | null;
  total?: number;
}

// ---------------------------------------------------------------------------------------------- pipelines

export interface PipelineSummary {
  id: string;
  description: string | null;
  file: string;
  version: string;
  paused: boolean;
  tags: string[];
  /** The schedule as written ("@daily", "0 2 * * *", "15m") or null for manual only. */
  schedule: string | null;
  /** The schedule in words: "every day at 00:00 (UTC)". */
  scheduleText: string;
  timezone: string;
  /** When the next scheduled run will be created (the end of its interval), or null. */
  nextRunAt: string | null;
  /** The latest runs, newest first (at most 10). */
  recentRuns: RunSummary[];
}

/** A pipeline file that failed to load, shown on the pipelines page. */
export interface LoadError {
  file: string;
  message: string;
  task?: string;
}

export interface PipelineList {
  pipelines: PipelineSummary[];
  loadErrors: LoadError[];
}

export interface TaskNodeView {
  id: string;
  kind: "function" | "shell" | "sensor" | "branch" | "pipeline";
  upstream: string[];
  trigger: TriggerRule;
  /** The upstream task this one maps over at run time, or null when it is not mapped. */
  map: string | null;
  retries: number;
  timeoutMs: number | null;
  queue: string;
  pool: string;
  priority: number;
  cache: boolean;
  description: string | null;
  command: string | null;
}

export interface PipelineDetail extends PipelineSummary {
  /** JSON Schema of the params (from the pipeline's zod schema), null when it takes none. */
  paramsSchema: Record<string, unknown> | null;
  maxActiveRuns: number;
  maxActiveTasks: number | null;
  start: string | null;
  end: string | null;
  catchup: boolean;
  tasks: TaskNodeView[];
  /** Task ids in topological order. */
  order: string[];
  /** How many tasks the pipeline has: more than `tasks` holds when `tasksTruncated`. */
  taskCount?: number;
  /** True when `tasks` and `order` hold only the first tasks in topological order (a huge pipeline; `?full=1` for all). */
  tasksTruncated?: boolean;
}

// ---------------------------------------------------------------------------------------------------- runs

export interface RunSummary {
  id: string;
  pipeline: string;
  state: RunState;
  trigger: RunTrigger;
  logicalDate: string;
  intervalStart: string;
  intervalEnd: string;
  backfillId: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

/** GET /runs query: every field optional; `state` may repeat. */
export interface RunListQuery {
  pipeline?: string;
  state?: RunState[];
  backfill?: string;
  /** Logical date range, inclusive, ISO dates or timestamps. */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** Counts of task instances per state, for mapped tasks drawn as one node and for run summaries. */
export type StateCounts = Partial<Record<TaskState, number>>;

export interface TaskInstanceView {
  taskId: string;
  mapIndex: number;
  state: TaskState;
  tryNumber: number;
  cached: boolean;
  startedAt: string | null;
  endedAt: string | null;
  retryAt: string | null;
}

export interface RunDetail extends RunSummary {
  version: string;
  params: Record<string, unknown>;
  /** Per task: counts of its instances by state (a mapped task has many instances). */
  taskCounts: Record<string, StateCounts>;
  /** Task ids of the run's pipeline version in topological order. */
  order: string[];
}

export interface TryView {
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  state: TryState;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  worker: string | null;
  error: TaskFailure | null;
}

/** GET /runs/:id/tasks/:task/tries/:n/logs?offset=B: a slice of the log from byte offset B. */
export interface LogChunk {
  /** The text from `offset` (UTF-8). */
  text: string;
  offset: number;
  /** Offset to ask from next time (tailing). */
  nextOffset: number;
  /** True when the try has ended: no more text will come. */
  complete: boolean;
}

/** The grid view: runs × tasks. */
export interface GridView {
  runs: RunSummary[];
  tasks: string[];
  /** cells[runIndex][taskIndex]: the state of that task in that run (a mapped task's worst-to-best summary). */
  cells: (TaskState | null)[][];
}

// ------------------------------------------------------------------------------------------------ requests

export interface TriggerRequest {
  params?: Record<string, unknown>;
  logicalDate?: string;
  /** Params as text (`weir trigger --param k=v`), coerced by the schema's types; merged with `params`. */
  rawParams?: Record<string, string>;
}

export interface ClearRequest {
  tasks?: string[];
  downstream?: boolean;
  failedOnly?: boolean;
}

export interface MarkRequest {
  state: "success" | "failed";
  mapIndex?: number;
}

export interface BackfillRequest {
  pipeline: string;
  from: string;
  to: string;
  concurrency?: number;
  reprocess?: ReprocessMode;
  dryRun?: boolean;
}

export interface BackfillIntervalPreview {
  logicalDate: string;
  intervalStart: string;
  intervalEnd: string;
  /** What the backfill does with this interval given `reprocess` and the runs that exist. */
  action: "create" | "skip" | "rerun";
  existingRunId: string | null;
  existingState: RunState | null;
  /** The planner's own word for it: create, rerun, rerun_failed, skip_success, skip_failed, skip_running. */
  detail: "create" | "rerun" | "rerun_failed" | "skip_success" | "skip_failed" | "skip_running";
}

export interface BackfillView {
  id: string;
  pipeline: string;
  state: "running" | "success" | "failed" | "canceled";
  from: string;
  to: string;
  concurrency: number;
  reprocess: ReprocessMode;
  createdAt: string;
  endedAt: string | null;
  runCounts: Partial<Record<RunState, number>>;
}

export interface BackfillResponse {
  dryRun: boolean;
  intervals: BackfillIntervalPreview[];
  backfill: BackfillView | null;
}

export interface PoolView {
  name: string;
  slots: number;
  used: number;
  queued: number;
  description: string | null;
}

export interface PoolRequest {
  slots: number;
  description?: string;
}

// ------------------------------------------------------------------------- more responses (added with the API)

/** GET /pipelines/:id/graph[?run=ID]: the DAG, a mapped task as one node; with a run, its states per node. */
export interface GraphView {
  pipeline: string;
  version: string;
  tasks: TaskNodeView[];
  edges: { from: string; to: string }[];
  order: string[];
  /** The run whose states colour the nodes, or null. */
  runId: string | null;
  /** Per task of that run: its instances by state (empty without a run). */
  counts: Record<string, StateCounts>;
  /**
   * True when the graph is collapsed (a pipeline of many tasks, without `?full=1`): siblings with the same
   * upstream and downstream tasks are one node of `tasks` (id `group:<first task>`, described by its first
   * task) listed in `groups`; edges, order and counts are between and of those nodes.
   */
  collapsed?: boolean;
  /** How many tasks the pipeline version has (`tasks` may hold fewer nodes when collapsed). */
  taskCount?: number;
  /** The grouped nodes of a collapsed graph, by node id. */
  groups?: Record<string, TaskGroupView>;
}

/** A node of a collapsed graph that stands for several sibling tasks. */
export interface TaskGroupView {
  /** How many tasks. */
  size: number;
  /** The first of them in topological order (at most 200). */
  tasks: string[];
}

/** GET /runs/:id/gantt: every try of the run with its times (at most 5,000, oldest queued first). */
export interface GanttView {
  runId: string;
  startedAt: string | null;
  endedAt: string | null;
  tries: GanttBar[];
  /** True when the run has more tries than were returned. */
  truncated: boolean;
}

/** One bar of the Gantt chart: a try's span, without its error and worker. */
export type GanttBar = Pick<TryView, "taskId" | "mapIndex" | "tryNumber" | "state" | "queuedAt" | "startedAt" | "endedAt">;

/** POST /runs/:id/clear. */
export interface ClearResponse {
  run: RunDetail;
  /** Each instance cleared: its state before and after, and its next try number (null when it ended at once). */
  cleared: { taskId: string; mapIndex: number; from: TaskState; to: TaskState; nextTry: number | null }[];
  /** Selected instances left alone because they have not ended. */
  inFlight: { taskId: string; mapIndex: number; state: TaskState }[];
  /** Who runs the run again: "this process" (the server's own scheduler), another scheduler's id, or null. */
  takenOverBy: string | null;
}

/** POST /runs/:id/tasks/:task/mark. */
export interface MarkResponse {
  run: RunDetail;
  instance: TaskInstanceView;
}

/** GET /backfills[?pipeline=ID]: newest first. */
export type BackfillList = Page<BackfillView>;

/** GET /pools. */
export type PoolList = Page<PoolView>;

/** GET /healthz. */
export interface Health {
  ok: boolean;
  store: "sqlite" | "postgres";
  /** Whether a scheduler holds the store's lease now, and whether it runs in this process. */
  scheduler: { live: boolean; inProcess: boolean };
}

// ------------------------------------------------------------------------------------------- live events

/** GET /api/v1/events (server-sent events): `event:` is the kind, `data:` the JSON below. */
export type LiveEvent =
  | { kind: "run"; run: RunSummary }
  | { kind: "task"; runId: string; taskId: string; mapIndex: number; state: TaskState; tryNumber: number }
  | { kind: "pipeline"; pipeline: string; paused: boolean }
  | { kind: "backfill"; backfill: BackfillView };

// ------------------------------------------------------------------------------------------- recorded events

/** What one subscribing pipeline did with an event (docs/events.md). */
export interface EventDeliveryView {
  pipeline: string;
  /** `started`: the event started `runId`; `superseded`: a newer event's run (`runId`) took it (`batch: "latest"`); `rejected`: see `reason`. */
  outcome: "started" | "superseded" | "rejected";
  runId: string | null;
  reason: string | null;
  at: string;
}

/** GET /events/:id, POST /events/:name (201), and the items of GET /events?name=&limit=. */
export interface EventView {
  id: string;
  name: string;
  payload: unknown;
  receivedAt: string;
  /** Pipelines whose current schedule names this event. */
  subscribers: string[];
  /** One per subscribing pipeline that has handled it. */
  deliveries: EventDeliveryView[];
  /** Runs it started (the `started` deliveries' runs). */
  runIds: string[];
  /** Subscribers that have not handled it yet (paused, or the scheduler has not seen it yet). */
  pending: string[];
}

/** GET /events?name=&limit=&cursor= (or with Accept: application/json): newest first. */
export type EventList = Page<EventView>;

/** A sensor instance's wait (docs/sensors.md): what it waits for and when it is checked next. */
export interface SensorWaitView {
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  /** "waiting": the trigger loop checks it; "answered": its final result was written (success, failure, skip). */
  status: "waiting" | "answered";
  waitsFor: string;
  /** When the wait began: its timeout counts from here. */
  firstCheckAt: string;
  /** The next check while it waits, else null. */
  nextCheckAt: string | null;
  lastCheckAt: string | null;
  checks: number;
  pokeIntervalMs: number;
  /** When it gives up (null: never). */
  timeoutAt: string | null;
  softFail: boolean;
}

/** GET /runs/:id/sensors: the run's deferred sensors' waits, by task and map index. */
export interface SensorWaitList {
  items: SensorWaitView[];
}
