// Store records → the API's JSON shapes (types.ts). Times become ISO strings; nothing here reads the store.
import type { TaskState } from "../engine/states.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import type { BackfillRecord, PipelineRecord, RunRecord, TaskInstanceRecord, TaskStateCount, TryRecord } from "../store/types.js";
import { firesByItself, nextFireAfter, parseGraphSchedule, previousFireAtOrBefore } from "../time/index.js";
import { describeSchedule } from "./schedule-text.js";
import type { BackfillView, PipelineSummary, RunSummary, StateCounts, TaskInstanceView, TaskNodeView, TryView } from "./types.js";

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const isoOf = (ms: number): string => new Date(ms).toISOString();

export function runSummary(run: RunRecord): RunSummary {
  return {
    id: run.id,
    pipeline: run.pipelineId,
    state: run.state,
    trigger: run.trigger,
    logicalDate: isoOf(run.logicalDateMs),
    intervalStart: isoOf(run.intervalStartMs),
    intervalEnd: isoOf(run.intervalEndMs),
    backfillId: run.backfillId,
    createdAt: isoOf(run.createdMs),
    startedAt: iso(run.startedMs),
    endedAt: iso(run.endedMs),
  };
}

export function instanceView(i: TaskInstanceRecord): TaskInstanceView {
  return { taskId: i.taskId, mapIndex: i.mapIndex, state: i.state, tryNumber: i.tryNumber, cached: i.cached, startedAt: iso(i.startedMs), endedAt: iso(i.endedMs), retryAt: iso(i.retryAtMs) };
}

export function tryView(t: TryRecord): TryView {
  return { taskId: t.taskId, mapIndex: t.mapIndex, tryNumber: t.tryNumber, state: t.state, queuedAt: isoOf(t.queuedMs), startedAt: iso(t.startedMs), endedAt: iso(t.endedMs), worker: t.worker, error: t.error };
}

export function taskNodeView(task: TaskNode): TaskNodeView {
  return {
    id: task.id,
    kind: task.kind as TaskNodeView["kind"],
    upstream: task.upstream,
    trigger: task.trigger,
    map: task.map,
    retries: task.retry.retries,
    timeoutMs: task.timeoutMs,
    queue: task.queue,
    pool: task.pool,
    priority: task.priority,
    cache: task.cache.enabled,
    description: task.description,
    command: task.command,
  };
}

/** When the next scheduled run will be created: the end of the interval now under way. Null when paused or manual. */
export function nextRunAt(graph: PipelineGraph, paused: boolean, nowMs: number): string | null {
  if (paused) return null;
  try {
    const schedule = parseGraphSchedule(graph);
    if (!firesByItself(schedule)) return null;
    const startMs = graph.start === null ? null : Date.parse(graph.start);
    const endMs = graph.end === null ? null : Date.parse(graph.end);
    // The run for logical date D is created once its interval ends, at the fire after D.
    const logical = startMs !== null && startMs > nowMs ? nextFireAfter(schedule, startMs - 1) : previousFireAtOrBefore(schedule, nowMs);
    if (logical === null || (endMs !== null && logical > endMs)) return null;
    const fire = nextFireAfter(schedule, logical);
    if (fire === null) return null;
    return isoOf(fire);
  } catch {
    return null;
  }
}

export function pipelineSummary(record: PipelineRecord, recentRuns: readonly RunRecord[], nowMs: number): PipelineSummary {
  const graph = record.graph;
  return {
    id: record.id,
    description: graph.description,
    file: record.file,
    version: record.version,
    paused: record.paused,
    tags: graph.tags,
    schedule: typeof graph.schedule === "string" ? graph.schedule : graph.schedule === null ? null : JSON.stringify(graph.schedule),
    scheduleText: describeSchedule(graph.schedule, graph.timezone),
    timezone: graph.timezone,
    nextRunAt: nextRunAt(graph, record.paused, nowMs),
    recentRuns: recentRuns.map(runSummary),
  };
}

export function backfillView(b: BackfillRecord, runCounts: ReadonlyMap<string, number> | undefined): BackfillView {
  return {
    id: b.id,
    pipeline: b.pipelineId,
    state: b.state,
    from: isoOf(b.fromMs),
    to: isoOf(b.toMs),
    concurrency: b.concurrency ?? 0,
    reprocess: b.reprocess,
    createdAt: isoOf(b.createdMs),
    endedAt: iso(b.endedMs),
    runCounts: Object.fromEntries(runCounts ?? []),
  };
}

/** Per task: its instances by state. */
export function countsByTask(rows: readonly TaskStateCount[]): Record<string, StateCounts> {
  const byTask: Record<string, StateCounts> = {};
  for (const row of rows) {
    const counts = (byTask[row.taskId] ??= {});
    counts[row.state] = (counts[row.state] ?? 0) + row.count;
  }
  return byTask;
}

/** Which state a cell of many instances shows: the one that most needs a look (failures, then work under way). */
const SUMMARY_ORDER: readonly TaskState[] = ["failed", "upstream_failed", "running", "queued", "up_for_retry", "deferred", "scheduled", "pending", "canceled", "skipped", "success", "removed"];

export function summaryState(counts: StateCounts | undefined): TaskState | null {
  if (!counts) return null;
  for (const state of SUMMARY_ORDER) if ((counts[state] ?? 0) > 0) return state;
  return null;
}
