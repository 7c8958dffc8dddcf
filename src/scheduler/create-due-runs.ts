// Phase "create due runs": for every unpaused pipeline with a schedule, the runs whose data interval has
// ended (Airflow's semantics, time/due-runs.ts), created in one transaction fenced by the scheduler lease; the
// store makes creating the same (pipeline, logical date) twice a no-op. The runs the scheduler has room for
// are created owned by it and started at once (W6: a minute's thousand runs, no re-read). Returns when the
// next one becomes due.
import type { PipelineGraph } from "../graph/types.js";
import type { CreatedRun, LeaseFence, NewRun, RunRecord, Store } from "../store/types.js";
import { dueRuns, nextWakeMs, parseGraphSchedule, type DueRunsOptions as DueRunsQuery, type ParsedSchedule } from "../time/index.js";
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
  /** Of those, the runs handed to `start` (created owned by the starter, not queued for a later pass). */
  started: number;
  /** The runs created, as the store now has them (queued): the pass checks their deadlines. */
  runs: RunRecord[];
  /** When the next run of any of these pipelines becomes due, or null if none will. */
  nextWakeMs: number | null;
}

/**
 * Who starts the due runs at once (the scheduler service). A due run it admits is created already owned by it
 * and handed to `start` with its record as inserted: no listing of the queued runs, no claim afterwards.
 */
export interface DueRunStarter {
  /** The owner written on the admitted runs. */
  owner: string;
  /** How many more runs of this pipeline may start now (its maxActiveRuns minus the runs driven). */
  room(graph: PipelineGraph): number;
  start(run: RunRecord, graph: PipelineGraph): void;
}

export interface DueRunsOptions {
  /**
   * Each pipeline's latest scheduled logical date, remembered between calls (only the one scheduler creates
   * scheduled runs), so a pass costs no query per pipeline once they are known.
   */
  latest?: Map<string, number | null>;
  /** The runs commit only while this lease is held (the scheduler's: a scheduler taken over creates none). */
  fence?: LeaseFence;
  /** Without one every due run is created queued and unowned, for the queued-run phase. */
  starter?: DueRunStarter;
}

/**
 * A pipeline whose next run is not due yet (the pass a finished run or a poll asks for) costs a lookup and
 * a comparison. Due runs are created in one transaction, oldest first per pipeline; those the starter has
 * room for are created owned by it and started at once, the rest stay queued for the queued-run phase.
 */
export async function createDueRuns(store: Store, pipelines: readonly PipelineGraph[], paused: ReadonlySet<string>, nowMs: number, options: DueRunsOptions = {}): Promise<DueRunsResult> {
  const latest = options.latest ?? new Map<string, number | null>();
  const starter = options.starter;
  const runs: NewRun[] = [];
  const graphs: PipelineGraph[] = [];
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
    const due: DueRunsQuery = {
      startMs: entry.startMs,
      endMs: entry.endMs,
      catchup: graph.catchup,
      lastLogicalDateMs: latest.has(graph.id) ? (last ?? null) : await store.latestScheduledLogicalDate(graph.id),
      nowMs,
    };
    let room: number | null = null;
    for (const interval of dueRuns(entry.schedule, due)) {
      // Asked once per pipeline, and only when it has a due run.
      room ??= starter ? starter.room(graph) : 0;
      runs.push(newRunFor(graph, "scheduled", interval, room > 0 && starter ? { owner: starter.owner } : {}));
      graphs.push(graph);
      room--;
      due.lastLogicalDateMs = interval.logicalDateMs;
    }
    latest.set(graph.id, due.lastLogicalDateMs);
    const wake = nextWakeMs(entry.schedule, due);
    // Without a latest run nor a start, the first candidate moves with the clock: computed again each pass.
    const fixed = due.lastLogicalDateMs !== null || due.startMs !== null;
    entry.wakeMs = wake;
    entry.wakeFor = fixed ? due.lastLogicalDateMs : undefined;
    if (wake !== null && (nextWake === null || wake < nextWake)) nextWake = wake;
  }
  if (runs.length === 0) return { created: 0, started: 0, runs: [], nextWakeMs: nextWake };
  let results: CreatedRun[];
  try {
    results = await store.createRuns(runs, nowMs, options.fence);
  } catch (error) {
    // Nothing was created: the next pass reads these pipelines' latest runs from the store again, so it finds
    // these intervals due again instead of remembering them as created.
    for (const graph of graphs) latest.delete(graph.id);
    throw error;
  }
  const records: RunRecord[] = [];
  let started = 0;
  for (let i = 0; i < runs.length; i++) {
    // Not created: its (pipeline, logical date) has a run already, which the queued-run phase looks after.
    if (!results[i]?.created) continue;
    const record = queuedRecord(runs[i]!, nowMs);
    records.push(record);
    if (starter && record.owner === starter.owner) {
      starter.start(record, graphs[i]!);
      started++;
    }
  }
  return { created: records.length, started, runs: records, nextWakeMs: nextWake };
}

/** The run as createRuns inserted it: what reading it back would return. */
function queuedRecord(run: NewRun, nowMs: number): RunRecord {
  return {
    id: run.id,
    pipelineId: run.pipelineId,
    version: run.version,
    state: "queued",
    trigger: run.trigger,
    logicalDateMs: run.logicalDateMs,
    intervalStartMs: run.intervalStartMs,
    intervalEndMs: run.intervalEndMs,
    params: run.params,
    file: run.file,
    backfillId: run.backfillId ?? null,
    createdMs: nowMs,
    startedMs: null,
    endedMs: null,
    owner: run.owner ?? null,
  };
}
