// When and how a mapped task expands. Its placeholder instance (map index -1) waits until the length of
// every array it maps over is known — an unmapped source's output length (told with its success), a mapped
// source's instance count (known when that one expands) — and is then replaced by one instance per element.
// Expanding as soon as lengths are known (not when every upstream is done) is what lets instance i of a
// task mapped over a mapped task start as soon as instance i upstream succeeds.
import { isTerminalTaskState } from "./states.js";
import type { ExpansionView } from "./instance-edges.js";
import type { EngineGraph, EngineTask, InstanceSnapshot } from "./types.js";
import { instanceKey } from "./types.js";

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

/**
 * The shape of a "product" task expanded to `count` instances, from what a rebuilt snapshot knows: each
 * source's expansion count or output length. A source cleared after the task expanded (the task kept its
 * instances) has no length until it succeeds again: one such source's length is what the count leaves for
 * it; when several are unknown the first takes it all and the others 1 (their pairing is then a guess).
 */
export function productShape(task: EngineTask, view: { expansion: ExpansionView["expansion"]; mapLength(taskId: string): number | null | undefined }, count: number): number[] {
  const known = (task.mapping?.sources ?? []).map((source) => view.expansion(source)?.count ?? view.mapLength(source) ?? null);
  const knownProduct = known.reduce((product: number, n) => product * (n ?? 1), 1);
  let left = knownProduct > 0 && count % knownProduct === 0 ? count / knownProduct : 0;
  return known.map((n) => {
    if (n !== null) return n;
    const taken = left;
    left = 1;
    return taken;
  });
}

export type ExpansionCheck = { kind: "ok" } | { kind: "wait" } | { kind: "stale"; message: string };

/**
 * Whether an instance of an expanded mapped task can run on its element. After a clear the task may have kept
 * its instances while a source runs again (see collapsibleTasks): until that source has a length again its
 * instances wait ("wait"; reached only when the trigger rule lets them run without it), and when the length
 * differs from the expansion's they have no element of their own ("stale", with why).
 */
export function checkExpansion(task: EngineTask, view: MappingView, isMapped: (taskId: string) => boolean): ExpansionCheck {
  const expansion = view.expansion(task.id);
  if (!expansion) return OK;
  // The usual case, without planExpansion's arrays (this runs for every mapped instance that is scheduled).
  const sources = task.mapping?.sources ?? [];
  if (sources.length === 1) {
    const source = sources[0] as string;
    const length = isMapped(source) ? view.expansion(source)?.count : view.instance(source)?.state === "success" ? view.mapLength(source) : undefined;
    if (length === expansion.count) return OK;
  }
  // A snapshot built without the outputs' lengths (a CLI command's) can't tell: the scheduler that runs the
  // instance has them, and checks again wherever a source's length can have changed (it ran again there).
  if (sources.some((source) => !isMapped(source) && view.instance(source)?.state === "success" && view.mapLength(source) === undefined)) return OK;
  const plan = planExpansion(task, view, true, isMapped);
  if (plan.kind === "wait") return { kind: "wait" };
  let changed: string;
  if (plan.kind === "expand") {
    const sameShape = (plan.shape ?? []).length === (expansion.shape ?? []).length && (plan.shape ?? []).every((n, i) => expansion.shape?.[i] === n);
    if (plan.count === expansion.count && sameShape) return OK;
    const lengths = plan.shape ?? sources.map(() => plan.count);
    changed = `now has another length (${sources.map((source, i) => `${source} has ${lengths[i]}`).join(", ")})`;
  } else {
    // Zipped arrays that no longer agree, an empty array, a source that did not succeed: no element either.
    changed = `no longer gives it ${expansion.count} elements (${plan.kind === "fail" ? plan.message : plan.reason})`;
  }
  const message = `task ${task.id} keeps its ${expansion.count} instances from before a clear, but what it maps over ${changed}: clear it together with the tasks mapped over it so it expands again`;
  return { kind: "stale", message };
}
const OK: ExpansionCheck = { kind: "ok" };

/**
 * The expanded mapped tasks a clear collapses back to their placeholder, so they expand again to their
 * sources' new length: those that map over a cleared unmapped task or over a task collapsed here, and whose
 * instances are all pending (the clear took them too; one that ran or runs keeps the expansion it ran with).
 * A task collapses only if every expanded task mapped over it collapses too, transitively: a chain of maps
 * re-expands as a whole or keeps its instances as a whole, so instance i of a task mapped over another stays
 * paired with instance i there. One that keeps its instances while its source's length changes is failed
 * when it would run (checkExpansion). Sources come before the tasks mapped over them; the order is otherwise
 * free (counts stay exact in any order). O(out-degree of the cleared tasks + the instances of the tasks
 * looked at), plus O(out-degree of the chosen tasks) per pass of the pruning.
 */
export function collapsibleTasks(graph: EngineGraph, view: MappingView, clearedTasks: ReadonlySet<string>): string[] {
  const chosen: string[] = [];
  const looked = new Set<string>();
  const work: string[] = [];
  const mappedOver = (source: string): string[] => (graph.downstream.get(source) ?? []).filter((down) => graph.tasks.get(down)?.mapping?.sources.includes(source));
  const lookDownstream = (source: string): void => {
    for (const down of mappedOver(source)) if (!looked.has(down)) work.push(down);
  };
  for (const taskId of clearedTasks) {
    const task = graph.tasks.get(taskId);
    if (task && !task.mapping && task.mappedDownstream) lookDownstream(taskId);
  }
  for (let taskId = work.pop(); taskId !== undefined; taskId = work.pop()) {
    if (looked.has(taskId)) continue;
    looked.add(taskId);
    const expansion = view.expansion(taskId);
    if (!expansion) continue;
    let allPending = true;
    for (let i = 0; i < expansion.count && allPending; i++) allPending = view.instance(instanceKey(taskId, i))?.state === "pending";
    if (!allPending) continue;
    chosen.push(taskId);
    lookDownstream(taskId);
  }
  // Keep a task's expansion when an expanded task mapped over it keeps its own; to a fixed point.
  const collapsing = new Set(chosen);
  for (let changed = true; changed; ) {
    changed = false;
    for (const taskId of collapsing) {
      if (mappedOver(taskId).every((down) => collapsing.has(down) || !view.expansion(down))) continue;
      collapsing.delete(taskId);
      changed = true;
    }
  }
  return chosen.filter((taskId) => collapsing.has(taskId));
}
