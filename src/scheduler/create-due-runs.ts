// Phase "create due runs": for every unpaused pipeline with a schedule, the runs whose data interval has
// ended (Airflow's semantics, time/due-runs.ts), created in one transaction fenced by the scheduler lease; the
// store makes creating the same (pipeline, logical date) twice a no-op. The runs the scheduler has room for
// are created owned by it and already started: their first decision is made before the insert and written by
// it (prepared-start.ts), so a minute's thousand runs are running once that one transaction commits (W6).
// Returns when the next one becomes due.
import type { PipelineGraph } from "../graph/types.js";
import type { CreatedRun, LeaseFence, NewRun, RunRecord, Store } from "../store/types.js";
import { dueRuns, nextWakeMs, parseGraphSchedule, type DueRun, type DueRunsOptions as DueRunsQuery, type ParsedSchedule } from "../time/index.js";
import { crashPoint } from "./crash-points.js";
import { newRunFor } from "./new-run.js";
import type { PreparedStart } from "./prepared-start.js";
import { recordInState } from "./run-tracking.js";

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
  /** The runs created, as the store now has them (queued, or running if started): the pass checks their deadlines. */
  runs: RunRecord[];
  /** When the next run of any of these pipelines becomes due, or null if none will. */
  nextWakeMs: number | null;
}

/**
 * Who starts the due runs at once (the scheduler service). A due run it admits is created already owned by it,
 * and started: no listing of the queued runs, no claim afterwards.
 */
export interface DueRunStarter {
  /** The owner written on the admitted runs. */
  owner: string;
  /** How many more runs of this pipeline may start now (its maxActiveRuns minus the runs driven). */
  room(graph: PipelineGraph): number;
  /** An admitted run's start, decided before its insert (its record queued as built); null: inserted queued. */
  prepare(run: RunRecord, graph: PipelineGraph, nowMs: number): PreparedStart | null;
  /** The run was created: drive it (from its prepared start when it was inserted started, else from queued). */
  start(run: RunRecord, graph: PipelineGraph, prepared: PreparedStart | null): void;
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
  // Read from the store once per pipeline (the first pass), so that the pass over the pipelines awaits nothing.
  for (const graph of pipelines) if (!paused.has(graph.id) && !latest.has(graph.id)) latest.set(graph.id, await store.latestScheduledLogicalDate(graph.id));
  const due = collectDue(pipelines, paused, nowMs, latest, options.starter);
  if (due.runs.length === 0) return { created: 0, started: 0, runs: [], nextWakeMs: due.nextWakeMs };
  return { ...(await createAndStart(store, due, nowMs, latest, options)), nextWakeMs: due.nextWakeMs };
}

/** The runs to create, each with the version it is created from, and when the next run will be due. */
interface Due {
  runs: NewRun[];
  graphs: PipelineGraph[];
  nextWakeMs: number | null;
}

/**
 * The pass over the pipelines, every second with nothing due most of the time: kept apart from the work done
 * when runs are due, so that the engine compiles each for what it does (W6: no recompiling a minute's burst).
 */
function collectDue(pipelines: readonly PipelineGraph[], paused: ReadonlySet<string>, nowMs: number, latest: Map<string, number | null>, starter: DueRunStarter | undefined): Due {
  const runs: NewRun[] = [];
  const graphs: PipelineGraph[] = [];
  const sameQuery = new Map<ParsedSchedule, DueOf>();
  let nextWakeMs: number | null = null;
  for (const graph of pipelines) {
    if (paused.has(graph.id)) continue;
    const entry = knownOf(graph);
    const last = latest.get(graph.id) ?? null;
    // Not due before wakeMs, as long as its latest logical date is the one that was computed for.
    const wake = entry.wakeFor !== undefined && last === entry.wakeFor && (entry.wakeMs === null || entry.wakeMs > nowMs) ? entry.wakeMs : addDue(graph, entry, last, nowMs, latest, starter, sameQuery, runs, graphs);
    if (wake !== null && (nextWakeMs === null || wake < nextWakeMs)) nextWakeMs = wake;
  }
  return { runs, graphs, nextWakeMs };
}

/** Adds the pipeline's due runs to `runs` (oldest first), its graph as many times to `graphs`; returns when its next run will be due. */
function addDue(graph: PipelineGraph, entry: Known, last: number | null, nowMs: number, latest: Map<string, number | null>, starter: DueRunStarter | undefined, sameQuery: Map<ParsedSchedule, DueOf>, runs: NewRun[], graphs: PipelineGraph[]): number | null {
  const query: DueRunsQuery = { startMs: entry.startMs, endMs: entry.endMs, catchup: graph.catchup, lastLogicalDateMs: last, nowMs };
  const { intervals, wake } = dueOf(entry.schedule, query, sameQuery);
  let latestMs = last;
  if (intervals.length > 0) {
    // Asked once per pipeline, and only when it has a due run.
    let room = starter ? starter.room(graph) : 0;
    for (const interval of intervals) {
      runs.push(newRunFor(graph, "scheduled", interval, room > 0 && starter ? { owner: starter.owner } : {}));
      graphs.push(graph);
      room--;
      latestMs = interval.logicalDateMs;
    }
  }
  latest.set(graph.id, latestMs);
  // Without a latest run nor a start, the first candidate moves with the clock: computed again each pass.
  entry.wakeMs = wake;
  entry.wakeFor = latestMs !== null || entry.startMs !== null ? latestMs : undefined;
  return wake;
}

/**
 * Creates the due runs in one transaction, those the starter admits inserted started (prepared-start.ts),
 * and hands those created to it. A failed insert forgets what the pass remembered of these pipelines.
 */
async function createAndStart(store: Store, due: Due, nowMs: number, latest: Map<string, number | null>, options: DueRunsOptions): Promise<Omit<DueRunsResult, "nextWakeMs">> {
  const { runs, graphs } = due;
  const starter = options.starter;
  const records = runs.map((run) => queuedRecord(run, nowMs));
  const prepared: (PreparedStart | null)[] = new Array<PreparedStart | null>(runs.length).fill(null);
  let anyStarted = false;
  if (starter) {
    for (let i = 0; i < runs.length; i++) {
      if (runs[i]!.owner !== starter.owner) continue;
      const start = starter.prepare(records[i]!, graphs[i]!, nowMs);
      if (start === null) continue;
      prepared[i] = start;
      runs[i]!.started = start.started;
      anyStarted = true;
    }
  }
  let results: CreatedRun[];
  try {
    // Runs inserted started commit their first decisions: a crash point as the coordinator's commits are.
    if (anyStarted) crashPoint("before_commit");
    results = await store.createRuns(runs, nowMs, options.fence);
    if (anyStarted) crashPoint("after_commit");
  } catch (error) {
    // Nothing was created: the next pass reads these pipelines' latest runs from the store again, so it finds
    // these intervals due again instead of remembering them as created.
    for (const graph of graphs) latest.delete(graph.id);
    throw error;
  }
  let started = 0;
  const created: RunRecord[] = [];
  for (let i = 0; i < runs.length; i++) {
    // Not created: its (pipeline, logical date) has a run already, which the queued-run phase looks after.
    if (!results[i]?.created) continue;
    if (starter && records[i]!.owner === starter.owner) {
      starter.start(records[i]!, graphs[i]!, prepared[i]!);
      started++;
    }
    const start = runs[i]!.started;
    created.push(start ? recordInState(records[i]!, "running", start.atMs) : records[i]!);
  }
  return { created: created.length, started, runs: created };
}

/** A query of the due-run math and its answer: the runs due, and when the next one is due after them. */
interface DueOf {
  query: DueRunsQuery;
  intervals: readonly DueRun[];
  wake: number | null;
}

/**
 * dueRuns and nextWakeMs, answered once per pass for pipelines that ask the same (a shared schedule, start,
 * end, catch-up and latest run: a thousand pipelines on `* * * * *` when a minute ends) instead of once each.
 */
function dueOf(schedule: ParsedSchedule, query: DueRunsQuery, same: Map<ParsedSchedule, DueOf>): DueOf {
  const known = same.get(schedule);
  const q = known?.query;
  if (known && q && q.startMs === query.startMs && q.endMs === query.endMs && q.catchup === query.catchup && q.lastLogicalDateMs === query.lastLogicalDateMs && q.nowMs === query.nowMs) return known;
  const intervals = dueRuns(schedule, query);
  const last = intervals.length > 0 ? intervals[intervals.length - 1]!.logicalDateMs : query.lastLogicalDateMs;
  const answer = { query: { ...query }, intervals, wake: nextWakeMs(schedule, { ...query, lastLogicalDateMs: last }) };
  same.set(schedule, answer);
  return answer;
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
