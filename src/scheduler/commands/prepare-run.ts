// What `weir run`, `weir trigger` and the API's trigger share: load a pipeline file in a worker, pick the pipeline, coerce
// and validate params, resolve the logical date and data interval — all before anything is written.
import { WeirError } from "../../common/errors.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { EventPayloadCheck, LoadResult, ParamProblem, ParamsResult } from "../../worker/protocol.js";
import { newRunFor } from "../new-run.js";
import type { NewRun } from "../../store/types.js";
import { dataIntervalFor, latestCompleteInterval, nextFireAfter, parseLogicalDate, parseSchedule, type ParsedSchedule } from "../../time/index.js";
import { describeParamProblems, formatLoadProblems } from "./problems.js";

/** What preparing a run needs of workers: loading the file and validating params, both in a worker process. */
export interface RunPreparer {
  load(file: string): Promise<LoadResult>;
  /** With `event`: checks that event payload against the pipeline's `event` schema instead (docs/events.md). */
  parseParams(request: { file: string; pipelineId: string; raw?: Record<string, string>; values?: Record<string, unknown>; event?: EventPayloadCheck }): Promise<ParamsResult>;
}

export interface PrepareRunInput {
  file: string;
  /** Which pipeline of the file (required when it defines several). */
  pipelineId: string | undefined;
  /** `--param k=v` strings, coerced by the schema's types. */
  rawParams?: Record<string, string>;
  /** JSON values (the API's TriggerRequest.params), taken as they are. */
  params?: Record<string, unknown>;
  logicalDate: string | undefined;
  nowMs: number;
  owner?: string | null;
}

/** Params the pipeline's schema rejects: the message names each; `params` lists them (the API's `where`). */
export class ParamInvalidError extends WeirError {
  readonly params: string[];

  constructor(pipelineId: string, problems: readonly ParamProblem[]) {
    super("param_invalid", describeParamProblems(problems), { where: { pipeline: pipelineId } });
    this.params = problems.map((p) => p.param).filter((name) => name !== "");
  }
}

export interface PreparedRun {
  graph: PipelineGraph;
  run: NewRun;
}

export async function prepareManualRun(pool: RunPreparer, input: PrepareRunInput): Promise<PreparedRun> {
  const { file, nowMs } = input;
  const loaded = await pool.load(file);
  if (loaded.problems.length > 0) throw new WeirError("pipeline_invalid", formatLoadProblems(loaded.problems), { where: {} });
  const graph = choosePipeline(loaded.pipelines, input.pipelineId, file);

  // A pipeline without a params schema, given no params, has none: the worker would say so (a round trip saved).
  const parsed: ParamsResult =
    graph.paramsSchema === null && isEmpty(input.rawParams) && isEmpty(input.params)
      ? { ok: true, params: {} }
      : await pool.parseParams({ file, pipelineId: graph.id, ...(input.rawParams ? { raw: input.rawParams } : {}), ...(input.params ? { values: input.params } : {}) });
  if (!parsed.ok) throw new ParamInvalidError(graph.id, parsed.problems);

  const schedule = parseSchedule(graph.schedule, graph.timezone);
  let interval: { startMs: number; endMs: number };
  let logicalDateMs: number;
  if (input.logicalDate !== undefined) {
    logicalDateMs = alignToSchedule(input.logicalDate, parseLogicalDate(input.logicalDate, graph.timezone), schedule);
    interval = dataIntervalFor(schedule, logicalDateMs);
  } else {
    // Like a manual trigger in Airflow: a scheduled pipeline runs for its latest complete interval.
    interval = latestCompleteInterval(schedule, nowMs) ?? { startMs: nowMs, endMs: nowMs };
    logicalDateMs = interval.startMs;
  }
  return {
    graph,
    run: newRunFor(graph, "manual", { logicalDateMs, intervalStartMs: interval.startMs, intervalEndMs: interval.endMs }, { params: parsed.params, file, owner: input.owner ?? null }),
  };
}

function isEmpty(values: Record<string, unknown> | undefined): boolean {
  return values === undefined || Object.keys(values).length === 0;
}

function choosePipeline(pipelines: readonly PipelineGraph[], wanted: string | undefined, file: string): PipelineGraph {
  if (wanted !== undefined) {
    const found = pipelines.find((p) => p.id === wanted);
    if (!found) throw new WeirError("pipeline_not_found", `${file} defines no pipeline "${wanted}" (it defines: ${pipelines.map((p) => p.id).join(", ")})`);
    return found;
  }
  if (pipelines.length === 1) return pipelines[0] as PipelineGraph;
  throw new WeirError("pipeline_ambiguous", `${file} defines ${pipelines.length} pipelines (${pipelines.map((p) => p.id).join(", ")}); choose one with --pipeline`);
}

/**
 * `--logical-date 2025-09-03` names a day: for a schedule that fires later that day (cron "0 3 * * *"),
 * the run is the interval that starts on that day, not one starting at midnight between two fire times.
 */
function alignToSchedule(text: string, dateMs: number, schedule: ParsedSchedule): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) return dateMs;
  const fire = nextFireAfter(schedule, dateMs - 1);
  return fire !== null && fire < dateMs + 86_400_000 ? fire : dateMs;
}
