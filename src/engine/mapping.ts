// When and how a mapped task expands. Its placeholder instance (map index -1) waits until the length of
// every array it maps over is known — an unmapped source's output length (told with its success), a mapped
// source's instance count (known when that one expands) — and is then replaced by one instance per element.
// Expanding as soon as lengths are known (not when every upstream is done) is what lets instance i of a
// task mapped over a mapped task start as soon as instance i upstream succeeds.
import { isTerminalTaskState } from "./states.js";
import type { ExpansionView } from "./instance-edges.js";
import type { EngineTask, InstanceSnapshot } from "./types.js";

export interface MappingView extends ExpansionView {
  instance(key: string): InstanceSnapshot | undefined;
  mapLength(taskId: string): number | null | undefined;
}

export type ExpansionPlan =
  | { kind: "wait" }
  | { kind: "expand"; count: number; shape: readonly number[] | null }
  | { kind: "skip"; reason: string }
  | { kind: "fail"; message: string };

type SourceLength = number | "pending" | "unavailable" | "not_array";

/**
 * What a pending placeholder should do. `triggerSaysRun`: its trigger rule lets it run, which matters only
 * when a source ended without an array to give (then there is nothing to map over: skipped).
 */
export function planExpansion(task: EngineTask, view: MappingView, triggerSaysRun: boolean, isMapped: (taskId: string) => boolean): ExpansionPlan {
  const sources = task.mapping?.sources ?? [];
  const lengths = sources.map((source) => sourceLength(source, view, isMapped(source)));
  if (lengths.includes("pending")) return { kind: "wait" };
  const unavailable = sources.filter((_, i) => lengths[i] === "unavailable");
  if (unavailable.length > 0) {
    return triggerSaysRun ? { kind: "skip", reason: `nothing to map over: ${unavailable.join(", ")} did not succeed` } : { kind: "wait" };
  }
  const notArray = sources.filter((_, i) => lengths[i] === "not_array");
  if (notArray.length > 0) {
    return { kind: "fail", message: `task ${task.id} maps over ${notArray.join(", ")}, whose output is not an array` };
  }
  const numbers = lengths as number[];
  let count: number;
  let shape: readonly number[] | null = null;
  if (task.mapping?.mode === "product") {
    count = numbers.reduce((product, n) => product * n, 1);
    shape = numbers;
  } else {
    count = numbers[0] ?? 0;
    if (numbers.some((n) => n !== count)) {
      const described = sources.map((source, i) => `${source} has ${numbers[i]}`).join(", ");
      return { kind: "fail", message: `task ${task.id} zips arrays of different lengths (${described}); use mapMode "product" for every combination` };
    }
  }
  if (count === 0) {
    const empty = sources.filter((_, i) => numbers[i] === 0);
    return { kind: "skip", reason: `mapped over an empty array (${empty.join(", ")})` };
  }
  return { kind: "expand", count, shape };
}

function sourceLength(source: string, view: MappingView, mapped: boolean): SourceLength {
  if (mapped) {
    const expansion = view.expansion(source);
    if (expansion) return expansion.count;
    const placeholder = view.instance(source);
    // A mapped source that ended without expanding (empty, skipped, failed) has no elements to give.
    return placeholder && isTerminalTaskState(placeholder.state) ? "unavailable" : "pending";
  }
  const instance = view.instance(source);
  if (!instance) return "pending";
  if (instance.state === "success") {
    const length = view.mapLength(source);
    return typeof length === "number" ? length : "not_array";
  }
  return isTerminalTaskState(instance.state) ? "unavailable" : "pending";
}

/** The length of each source of a "product" task, from what the snapshot knows (0 when unknown). */
export function productShape(task: EngineTask, view: { expansion: ExpansionView["expansion"]; mapLength(taskId: string): number | null | undefined }): number[] {
  return (task.mapping?.sources ?? []).map((source) => view.expansion(source)?.count ?? view.mapLength(source) ?? 0);
}
