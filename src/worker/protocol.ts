// Messages between the executor (parent) and a worker process over Node's IPC channel. Everything that
// crosses is plain data: user code, its errors and its values never leave the worker as objects.
import type { TaskFailure } from "../engine/types.js";
import type { GraphProblem, PipelineGraph } from "../graph/types.js";
import type { WireGraph } from "../graph/wire-graph.js";

/** One try for a worker to run. `inputs`/`item` are values encoded with value-codec. */
export interface TryJob {
  /** Unique per try: `${runId}/${taskId}/${mapIndex}/${tryNumber}`. */
  tryKey: string;
  file: string;
  pipelineId: string;
  /** The pipeline version the run uses; a worker refuses a try of a version it can't load. */
  version: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  maxTries: number;
  runId: string;
  logicalDateMs: number;
  intervalStartMs: number;
  intervalEndMs: number;
  /** Validated params as stored with the run (JSON). */
  params: Record<string, unknown>;
  /** Encoded upstream outputs by input name (the task's `needs`). */
  inputs: Record<string, string>;
  /** Encoded element for a mapped instance. */
  item?: string;
  /** Absolute path of the try's log file (derived from ids). */
  logPath: string;
  /** Enforced by the executor: abort at the deadline, kill the worker if it doesn't stop. */
  timeoutMs: number | null;
  idempotencyKey: string;
  /** Where large outputs go and artifact inputs are read from (WEIR_HOME/artifacts); absent: always inline. */
  artifactsDir?: string;
  /** Set for a task with a custom cache key: compute the key and report it (outcome "cache_key"), don't run. */
  computeCacheKey?: true;
}

export type TryResult =
  /** `follow`: for a branch task, the ids of the direct downstream tasks it chose to follow. */
  | { outcome: "success"; output: string; follow?: string[] }
  | { outcome: "failure"; error: TaskFailure }
  | { outcome: "skipped"; reason: string }
  /** Answer to `computeCacheKey`: the task did not run; the scheduler looks the key up and runs it again or not. */
  | { outcome: "cache_key"; key: string };

/** A problem loading a file: an import or syntax error, or a problem of one of its pipelines. */
export interface LoadProblem extends GraphProblem {
  file: string;
  pipeline?: string;
}

export interface LoadResult {
  file: string;
  pipelines: PipelineGraph[];
  problems: LoadProblem[];
}

/** A LoadResult as a worker sends it: graphs in their compact form (graph/wire-graph.ts: 100k tasks are ~50 MB as JSON). */
export interface WireLoadResult extends Omit<LoadResult, "pipelines"> {
  pipelines: (PipelineGraph | WireGraph)[];
}

export interface ParamProblem {
  /** The param's name, or "" for a problem with the params as a whole. */
  param: string;
  message: string;
}

/** In a `parse_params` request: check this event payload against the pipeline's `event` schema instead (docs/events.md). */
export interface EventPayloadCheck {
  payload: unknown;
}

export type ParamsResult = { ok: true; params: Record<string, unknown> } | { ok: false; problems: ParamProblem[] };

export type ToWorker =
  | { kind: "load"; requestId: number; file: string }
  /**
   * Validates params against the pipeline's schema. `raw` are `--param k=v` strings, coerced by the
   * schema's types; `values` are JSON values (API, stored params). Unknown names are problems.
   */
  | { kind: "parse_params"; requestId: number; file: string; pipelineId: string; raw?: Record<string, string>; values?: Record<string, unknown>; event?: EventPayloadCheck }
  /** Tries to run one after another, in order; a worker may hold several (see executor/README.md). */
  | { kind: "run_tries"; jobs: TryJob[] }
  | { kind: "abort_try"; tryKey: string; reason: "timeout" | "canceled" }
  | { kind: "shutdown" };

export type FromWorker =
  | { kind: "ready"; pid: number }
  | { kind: "loaded"; requestId: number; result: WireLoadResult }
  | { kind: "params_parsed"; requestId: number; result: ParamsResult }
  /** Results of finished tries, batched when several finish in one turn of the worker's event loop. */
  | { kind: "try_results"; reports: TryReport[] }
  /**
   * The worker had an uncaught error it could blame on no running try and exits (code 0) right after
   * this. Its running try has already been reported; tries it still held never started and go back to
   * the pool's queue, as does a request sent to it after it decided to retire.
   */
  | { kind: "retiring" };

/** A finished try: its result and when it really started and ended on the worker (epoch ms). */
export interface TryReport {
  tryKey: string;
  result: TryResult;
  startedMs: number;
  endedMs: number;
}

export function tryKeyOf(runId: string, taskId: string, mapIndex: number, tryNumber: number): string {
  return `${runId}/${taskId}/${mapIndex}/${tryNumber}`;
}
