// PipelineSpec: what `pipeline()` produces. Plain data plus the task functions; the graph compiler
// (src/graph) turns it into the serializable, validated PipelineGraph the scheduler works with.
import type { z } from "zod";
import type { Duration } from "./duration.js";
import type { CacheOptions, CommonTaskOptions, RetryOptions, Schedule } from "./types.js";

/** A task function as stored: its typed signature is enforced by `p.task`, not here. */
export type AnyTaskFunction = (...args: never[]) => unknown;

export interface TaskSpec {
  id: string;
  kind: "function" | "shell";
  /** Input name → upstream task id. */
  needs: Record<string, string>;
  /** Upstream task ids that only order. */
  after: string[];
  /** The upstream task id a mapped task fans out over. */
  map: string | null;
  options: CommonTaskOptions & { cache?: boolean | CacheOptions<never, never> };
  fn?: AnyTaskFunction;
  command?: string;
  env?: Record<string, string>;
  cwd?: string;
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
  maxActiveRuns?: number;
  maxActiveTasks?: number;
  timeout?: Duration;
  onFailure?: readonly string[];
  onSuccess?: readonly string[];
}

export interface PipelineSpec {
  options: PipelineSpecOptions;
  tasks: TaskSpec[];
  problems: DefinitionProblem[];
}

/** Marks pipeline objects across module instances (a user's "weir" and the worker's may differ). */
export const PIPELINE_BRAND = Symbol.for("weir.pipeline");
