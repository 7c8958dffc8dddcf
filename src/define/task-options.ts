// The parts of a task's options the builder records as they are, shared when empty: a pipeline written in
// a loop declares 100k tasks, and a copy of each option object apiece showed in the time to load it.
import type { TaskSpec } from "./spec.js";
import type { Needs, TaskOptions } from "./types.js";

export type FunctionTaskOptions = TaskOptions<unknown, Needs> & { map?: unknown; mapMode?: unknown; maxParallel?: unknown };

/** Shared by every task without needs or options of its own: specs are never mutated once made. */
export const NO_NEEDS: Record<string, string> = Object.freeze({}) as Record<string, string>;
export const NO_OPTIONS: TaskSpec["options"] = Object.freeze({});

/** The keys `addFunction` takes out of a task's options; the rest are the spec's `options`. */
const TAKEN_KEYS = new Set(["needs", "after", "map", "mapMode", "maxParallel"]);

/**
 * A function task's options but needs, after and mapping. Most tasks written in a loop have only `after`
 * or `needs`: they share one empty object instead of a copy each (a rest copy per task showed at 100k).
 */
export function otherOptions(options: FunctionTaskOptions): TaskSpec["options"] {
  for (const key in options) {
    if (TAKEN_KEYS.has(key)) continue;
    const { needs: _needs, after: _after, map: _map, mapMode: _mapMode, maxParallel: _maxParallel, ...rest } = options;
    return rest;
  }
  return NO_OPTIONS;
}

/** A reference made by `p.task` (or a copy of one): `{ kind: "task", id }`. */
export function isReference(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "task" && typeof (value as { id?: unknown }).id === "string";
}
