// The read-only queries of the API and the UI (read-queries.ts): pages and counts, never a whole run read.
import type { RunState, TaskState, TryState } from "../engine/states.js";
import type { PipelineRecord, TaskInstanceRecord, TryRecord } from "./run-types.js";

export interface InstanceFilter {
  runId: string;
  /** Any of these states; empty or absent: all. */
  states?: readonly TaskState[];
  taskId?: string;
}

export interface InstancePageQuery extends InstanceFilter {
  /** Keyset cursor: the last instance of the previous page. */
  after?: { taskId: string; mapIndex: number };
  limit: number;
  /**
   * Task ids in the order to list them (the run's topological order), then by map index; instances of tasks
   * not listed are left out. Without it (or with `taskId`): by task id then map index.
   */
  taskOrder?: readonly string[];
}

export interface TaskStateCount {
  taskId: string;
  state: TaskState;
  count: number;
}

/** A try's times for the Gantt chart: its record without the run, worker, error and output. */
export type TryTimes = Pick<TryRecord, "taskId" | "mapIndex" | "tryNumber" | "state" | "queuedMs" | "startedMs" | "endedMs">;

export interface ActiveInstanceCount {
  pipelineId: string;
  version: string;
  taskId: string;
  state: TaskState;
  count: number;
}

/** A pipeline without its graph: read the graph by (id, version), which never changes. */
export type PipelineHead = Omit<PipelineRecord, "graph">;

export interface ReadQueries {
  /** Every pipeline, by id, without graphs. */
  pipelineHeads(): Promise<PipelineHead[]>;
  pipelineHead(pipelineId: string): Promise<PipelineHead | null>;
  /** One page of a run's instances, ordered by task id then map index. */
  listInstancesPage(query: InstancePageQuery): Promise<TaskInstanceRecord[]>;
  countInstances(filter: InstanceFilter): Promise<number>;
  /** A run's instances counted by task and state. */
  instanceCounts(runId: string): Promise<TaskStateCount[]>;
  /** Several runs' instances counted by task and state, by run id. */
  instanceCountsOfRuns(runIds: readonly string[]): Promise<Map<string, TaskStateCount[]>>;
  runCountsByState(): Promise<Map<RunState, number>>;
  tryCountsByState(): Promise<Map<TryState, number>>;
  /** Runs of these backfills counted by state, by backfill id. */
  backfillRunCounts(backfillIds: readonly string[]): Promise<Map<string, Map<RunState, number>>>;
  /** Instances scheduled, queued or running in running runs, by pipeline version and task. */
  activeInstanceCounts(): Promise<ActiveInstanceCount[]>;
  /** The run's tries with their times, at most `limit`, oldest queued first. */
  runTryTimes(runId: string, limit: number): Promise<TryTimes[]>;
}
