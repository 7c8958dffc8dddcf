// What `weir run` and `weir trigger` share: load a pipeline file in a worker, pick the pipeline, coerce
// and validate params, resolve the logical date and data interval — all before anything is written.
import { WeirError } from "../common/errors.js";
import type { PipelineGraph } from "../graph/types.js";
import type { LocalWorkerPool } from "../executor/local-pool.js";
import { newRunFor } from "../scheduler/new-run.js";
import type { NewRun } from "../store/types.js";
import { dataIntervalFor, latestCompleteInterval, nextFireAfter, parseLogicalDate, parseSchedule, type ParsedSchedule } from "../time/index.js";
import { formatLoadProblems } from "./load-problems.js";
import { describeParamProblems } from "./param-problems.js";

export interface PrepareRunInput {
  file: string;
  /** Which pipeline of the file (required when it defines several). */
  pipelineId: string | undefined;
  rawParams: Record<string, string>;
  logicalDate: string | undefined;
  nowMs: number;
  owner?: string | null;
}

export interface PreparedRun {
  graph: PipelineGraph;
  run: NewRun;
}

export async function prepareManualRun(pool: LocalWorkerPool, input: PrepareRunInput): Promise<PreparedRun> {
  const { file, nowMs } = input;
  const loaded = await pool.load(file);
  if (loaded.problems.length > 0) throw new WeirError("pipeline_invalid", formatLoadProblems(loaded.problems), { where: {} });
  const graph = choosePipeline(loaded.pipelines, input.pipelineId, file);

  const parsed = await pool.parseParams({ file, pipelineId: graph.id, raw: input.rawParams });
  if (!parsed.ok) throw new WeirError("param_invalid", describeParamProblems(parsed.problems), { where: { pipeline: graph.id } });

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
