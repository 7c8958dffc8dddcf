// PipelineSpec: what `pipeline()` produces. Plain data plus the task functions; the graph compiler
// (src/graph) turns it into the serializable, validated PipelineGraph the scheduler works with.
import type { z } from "zod";
import type { Duration } from "./duration.js";
import type { CacheOptions, CommonTaskOptions, RetryOptions, Schedule } from "./types.js";
import type { SensorSpec } from "./sensor.js";

/** A task function as stored: its typed signature is enforced by `p.task`, not here. */
export type AnyTaskFunction = (...args: never[]) => unknown;

/** How a mapped task fans out (see MappedTaskOptions and MultiMappedTaskOptions). */
export interface MappingSpec {
  /** "item": one upstream, each element is the item; "zip"/"product": `{ name: element }` items. */
  mode: "item" | "zip" | "product";
  /** Name → upstream task id; for "item" the one entry is named "item". */
  over: Record<string, string>;
  /** As given: checked by the graph compiler. */
  maxParallel?: unknown;
}

export interface TaskSpec {
  id: string;
  /** "branch": a function task whose result picks the downstream to follow (`p.branch`, `p.shortCircuit`). */
  kind: "function" | "shell" | "branch" | "pipeline" | "sensor";
  /** Input name → upstream task id. */
  needs: Record<string, string>;
  /** Upstream task ids that only order. */
  after: string[];
  /** The upstream task id a mapped task fans out over (the first one when it maps over several). */
  map: string | null;
  /** How the task fans out; null when it is not mapped. */
  mapping?: MappingSpec | null;
  /** For kind "branch": follow the returned tasks ("choose") or all or nothing ("short_circuit"). */
  branch?: "choose" | "short_circuit";
  options: CommonTaskOptions & { cache?: boolean | CacheOptions<never, never> };
  fn?: AnyTaskFunction;
  command?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** For kind "pipeline" (`p.pipeline`): the other pipeline's id and the params of its run. */
  subPipeline?: { pipelineId: string; params: Record<string, unknown> };
  /** For kind "sensor" (`p.sensor`): its settings as given (docs/sensors.md). */
  sensor?: SensorSpec;
}

/** A problem found while the pipeline was being defined (reported by `weir validate` with its task). */
export interface DefinitionProblem {
  code: string;
  message: string;
  task?: string;
}

export interface PipelineSpecOptions {
  id: string;
  description?: string;
  schedule?: Schedule;
  timezone?: string;
  start?: string | Date;
  end?: string | Date;
  catchup?: boolean;
  tags?: readonly string[];
  defaults?: RetryOptions;
  params?: z.ZodType;
  /** Schema of the payload of the events the schedule names (docs/events.md). */
  event?: z.ZodType;
  maxActiveRuns?: number;
  maxActiveTasks?: number;
  timeout?: Duration;
  onFailure?: readonly string[];
  onSuccess?: readonly string[];
  deadline?: { after: Duration; notify: readonly string[] };
}

export interface PipelineSpec {
  options: PipelineSpecOptions;
  tasks: TaskSpec[];
  problems: DefinitionProblem[];
}

/** Marks pipeline objects across module instances (a user's "weir" and the worker's may differ). */
export const PIPELINE_BRAND = Symbol.for("weir.pipeline");
