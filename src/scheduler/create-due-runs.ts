// Phase "create due runs": for every unpaused pipeline with a schedule, the runs whose data interval has
// ended (Airflow's semantics, time/due-runs.ts), created in one transaction; the store makes creating the
// same (pipeline, logical date) twice a no-op. Returns when the next one becomes due.
import type { PipelineGraph } from "../graph/types.js";
import type { NewRun, Store } from "../store/types.js";
import { dueRuns, nextWakeMs, parseGraphSchedule, type ParsedSchedule } from "../time/index.js";
import { newRunFor } from "./new-run.js";

/** Parsed schedules by pipeline version: due-run math caches fire times per schedule object. */
const parsedSchedules = new Map<string, ParsedSchedule>();

function scheduleOf(graph: PipelineGraph): ParsedSchedule {
  const key = `${graph.id}@${graph.version}`;
  let parsed = parsedSchedules.get(key);
  if (!parsed) {
    parsed = parseGraphSchedule(graph);
    parsedSchedules.set(key, parsed);
  }
  return parsed;
}

export interface DueRunsResult {
  created: number;
  /** When the next run of any of these pipelines becomes due, or null if none will. */
  nextWakeMs: number | null;
}

/**
 * `latest` remembers each pipeline's latest scheduled logical date between calls (only the one scheduler
 * creates scheduled runs), so a pass costs no query per pipeline once they are known.
 */
export async function createDueRuns(store: Store, pipelines: readonly PipelineGraph[], paused: ReadonlySet<string>, nowMs: number, latest: Map<string, number | null> = new Map()): Promise<DueRunsResult> {
  const runs: NewRun[] = [];
  let nextWake: number | null = null;
  for (const graph of pipelines) {
    if (paused.has(graph.id)) continue;
    const schedule = scheduleOf(graph);
    const options = {
      startMs: graph.start === null ? null : Date.parse(graph.start),
      endMs: graph.end === null ? null : Date.parse(graph.end),
      catchup: graph.catchup,
      lastLogicalDateMs: latest.has(graph.id) ? (latest.get(graph.id) ?? null) : await store.latestScheduledLogicalDate(graph.id),
      nowMs,
    };
    for (const due of dueRuns(schedule, options)) {
      runs.push(newRunFor(graph, "scheduled", due));
      options.lastLogicalDateMs = due.logicalDateMs;
    }
    latest.set(graph.id, options.lastLogicalDateMs);
    const wake = nextWakeMs(schedule, options);
    if (wake !== null && (nextWake === null || wake < nextWake)) nextWake = wake;
  }
  const created = runs.length === 0 ? [] : await store.createRuns(runs, nowMs);
  return { created: created.filter((r) => r.created).length, nextWakeMs: nextWake };
}
