// Phase "create due runs": for every unpaused pipeline with a schedule, the runs whose data interval has
// ended (Airflow's semantics, time/due-runs.ts), created in one transaction; the store makes creating the
// same (pipeline, logical date) twice a no-op. Returns when the next one becomes due.
import type { PipelineGraph } from "../graph/types.js";
import type { NewRun, Store } from "../store/types.js";
import { dueRuns, nextWakeMs, parseGraphSchedule, type DueRunsOptions, type ParsedSchedule } from "../time/index.js";
import { newRunFor } from "./new-run.js";

/**
 * Parsed schedules by what they depend on (schedule, time zone, start): pipelines on the same cron share
 * one, and with it the due-run math's memo of fire times, so a thousand pipelines on `* * * * *` ask
 * croner for the next minute once, not a thousand times, when that minute ends.
 */
const parsedSchedules = new Map<string, ParsedSchedule>();
const PARSED_SCHEDULES_MAX = 10_000;

/** What a pass knows of a pipeline version between passes (versions are immutable). */
interface Known {
  schedule: ParsedSchedule;
  startMs: number | null;
  endMs: number | null;
  /** When its next run becomes due, as computed for `wakeFor` (its latest logical date then); null: never. */
  wakeMs: number | null;
  wakeFor: number | null | undefined;
}

const known = new WeakMap<PipelineGraph, Known>();

function knownOf(graph: PipelineGraph): Known {
  let entry = known.get(graph);
  if (entry === undefined) {
    const key = JSON.stringify([graph.schedule, graph.timezone, graph.start]);
    let schedule = parsedSchedules.get(key);
    if (schedule === undefined) {
      schedule = parseGraphSchedule(graph);
      if (parsedSchedules.size >= PARSED_SCHEDULES_MAX) parsedSchedules.clear();
      parsedSchedules.set(key, schedule);
    }
    entry = {
      schedule,
      startMs: graph.start === null ? null : Date.parse(graph.start),
      endMs: graph.end === null ? null : Date.parse(graph.end),
      wakeMs: null,
      wakeFor: undefined,
    };
    known.set(graph, entry);
  }
  return entry;
}

export interface DueRunsResult {
  created: number;
  /** When the next run of any of these pipelines becomes due, or null if none will. */
  nextWakeMs: number | null;
}

/**
 * `latest` remembers each pipeline's latest scheduled logical date between calls (only the one scheduler
 * creates scheduled runs), so a pass costs no query per pipeline once they are known. A pipeline whose
 * next run is not due yet (the pass a finished run or a poll asks for) costs a lookup and a comparison.
 */
export async function createDueRuns(store: Store, pipelines: readonly PipelineGraph[], paused: ReadonlySet<string>, nowMs: number, latest: Map<string, number | null> = new Map()): Promise<DueRunsResult> {
  const runs: NewRun[] = [];
  let nextWake: number | null = null;
  for (const graph of pipelines) {
    if (paused.has(graph.id)) continue;
    const entry = knownOf(graph);
    const last = latest.get(graph.id);
    // Not due before wakeMs, as long as its latest logical date is the one that was computed for.
    if (entry.wakeFor !== undefined && last === entry.wakeFor && latest.has(graph.id) && (entry.wakeMs === null || entry.wakeMs > nowMs)) {
      if (entry.wakeMs !== null && (nextWake === null || entry.wakeMs < nextWake)) nextWake = entry.wakeMs;
      continue;
    }
    const options: DueRunsOptions = {
      startMs: entry.startMs,
      endMs: entry.endMs,
      catchup: graph.catchup,
      lastLogicalDateMs: latest.has(graph.id) ? (last ?? null) : await store.latestScheduledLogicalDate(graph.id),
      nowMs,
    };
    for (const due of dueRuns(entry.schedule, options)) {
      runs.push(newRunFor(graph, "scheduled", due));
      options.lastLogicalDateMs = due.logicalDateMs;
    }
    latest.set(graph.id, options.lastLogicalDateMs);
    const wake = nextWakeMs(entry.schedule, options);
    // Without a latest run nor a start, the first candidate moves with the clock: computed again each pass.
    const fixed = options.lastLogicalDateMs !== null || options.startMs !== null;
    entry.wakeMs = wake;
    entry.wakeFor = fixed ? options.lastLogicalDateMs : undefined;
    if (wake !== null && (nextWake === null || wake < nextWake)) nextWake = wake;
  }
  const created = runs.length === 0 ? [] : await store.createRuns(runs, nowMs);
  return { created: created.filter((r) => r.created).length, nextWakeMs: nextWake };
}
