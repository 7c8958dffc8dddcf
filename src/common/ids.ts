// Branded ids: a RunId can't be passed where a TaskId is expected, and every id that becomes part of
// a path or a log file name is checked against one pattern (DESIGN.md §7).
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type PipelineId = Brand<string, "PipelineId">;
export type TaskId = Brand<string, "TaskId">;
export type RunId = Brand<string, "RunId">;

/** Ids of pipelines, tasks and runs: safe in paths, URLs and environment variables. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,250}$/;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value) && value !== "." && value !== "..";
}

/** Unmapped task instances have map index -1 (Airflow's convention); mapped ones 0…n-1. */
export const UNMAPPED = -1;
