// The one place that knows what a transition does to a run's bookkeeping (instance fields, downstream
// upstream-counts, unfinished/failed counters). advance() runs it on a draft to see the consequences of an
// event; applyDecision() writes that draft onto the snapshot (DraftLedger.commitTo) or, for a decision made
// over another version of the snapshot, runs it on the snapshot: either way the two can never disagree.
import { isTerminalTaskState, type RunState, type TaskState } from "./states.js";
import { downstreamInstanceKeys, upstreamInstanceKeys, type ExpansionView } from "./instance-edges.js";
import { zeroCounts } from "./trigger-rules.js";
import type { EngineGraph, Expansion, InstanceSnapshot, InstanceTransition, MapCollapse, MapExpansion, RunSnapshot, UpstreamCounts } from "./types.js";
import { instanceKey } from "./types.js";

/** A run whose bookkeeping can be changed: the snapshot itself, or a copy-on-write draft over it. */
export interface RunLedger extends ExpansionView {
  readonly graph: EngineGraph;
  state: RunState;
  unfinished: number;
  failed: number;
  instance(key: string): InstanceSnapshot | undefined;
  /** The same instance, writable: a draft copies it on first write so the snapshot stays untouched. */
  writableInstance(key: string): InstanceSnapshot | undefined;
  /** Its upstream counts, writable: a draft's copy shares the snapshot's until written (most never are). */
  writableCounts(key: string): UpstreamCounts | undefined;
  /** Instances appear and disappear only when a mapped task is expanded (recordExpansion). */
  addInstance(key: string, instance: InstanceSnapshot): void;
  removeInstance(key: string): void;
  setExpansion(taskId: string, expansion: Expansion): void;
  /** A mapped task collapsed back to its placeholder (recordCollapse). */
  deleteExpansion(taskId: string): void;
  mapLength(taskId: string): number | null | undefined;
  setMapLength(taskId: string, length: number | null | undefined): void;
}

type CountField = Exclude<keyof UpstreamCounts, "total">;

/** Which count a terminal upstream state feeds; null for states that are not done. */
export function countFieldOf(state: TaskState): CountField | null {
  switch (state) {
    case "success":
      return "success";
    case "skipped":
      return "skipped";
    case "failed":
      return "failed";
    case "upstream_failed":
      return "upstreamFailed";
    case "canceled":
    case "removed":
      return "removed";
    default:
      return null;
  }
}

export function isFailureState(state: TaskState): boolean {
  return state === "failed" || state === "upstream_failed";
}

/**
 * Applies one transition, guarded by its from-state like the store's write: returns false (and changes
 * nothing) when the instance is missing or no longer in `from`. Cost: O(1) plus O(out-degree) when the
 * instance enters or leaves a terminal state.
 */
export function recordTransition(ledger: RunLedger, transition: InstanceTransition): boolean {
  // Made writable before the guard is checked: one lookup instead of two; a draft's copy of an instance the
  // guard then refuses is equal to the snapshot's (writing it back changes nothing).
  const instance = ledger.writableInstance(instanceKey(transition.taskId, transition.mapIndex));
  if (!instance || instance.state !== transition.from) return false;
  const { from, to } = transition;
  const wasTerminal = isTerminalTaskState(from);
  const isTerminal = isTerminalTaskState(to);
  instance.state = to;
  instance.tryNumber = transition.tryNumber;
  instance.retryAtMs = to === "up_for_retry" ? (transition.retryAtMs ?? null) : null;
  if (transition.error?.kind === "lost") instance.lostTries += 1;
  // Out of a terminal state only by a clear: the tries so far no longer use the retry budget.
  if (wasTerminal && !isTerminal) {
    instance.retryBase = instance.tryNumber;
    instance.lostTries = 0;
  }
  // A map source's length is known while it is a success: cleared, it is unknown until it succeeds again.
  // mapLength read first: read on every transition, it has type feedback when the first success comes.
  if (transition.mapLength !== undefined && to === "success") ledger.setMapLength(instance.taskId, transition.mapLength);
  else if (from === "success" && ledger.mapLength(instance.taskId) !== undefined) ledger.setMapLength(instance.taskId, undefined);

  // Leaving a terminal state only happens when a user clears an instance; handled so counts stay exact.
  // Written on every transition, not only when it changes: the first success then finds type feedback here.
  ledger.unfinished += (wasTerminal ? 1 : 0) - (isTerminal ? 1 : 0);
  ledger.failed += (isFailureState(to) ? 1 : 0) - (isFailureState(from) ? 1 : 0);

  const oldField = countFieldOf(from);
  const newField = countFieldOf(to);
  if (oldField !== newField) {
    const downKeys = downstreamInstanceKeys(ledger.graph, ledger, instance.taskId, instance.mapIndex);
    for (let i = 0; i < downKeys.length; i++) {
      const counts = ledger.writableCounts(downKeys[i] as string);
      if (!counts) continue;
      if (oldField) counts[oldField] -= 1;
      if (newField) counts[newField] += 1;
    }
  }
  return true;
}

/**
 * recordTransition for an instance scheduled (from pending or up_for_retry): nothing terminal or failed, so no
 * counter or downstream count changes. Apart so a fan-out (thousands at once) doesn't get recordTransition
 * optimized for this path alone, to be thrown away at the first try that ends.
 */
export function recordScheduled(ledger: RunLedger, transition: InstanceTransition): boolean {
  const instance = ledger.writableInstance(instanceKey(transition.taskId, transition.mapIndex));
  if (!instance || instance.state !== transition.from) return false;
  instance.state = transition.to;
  instance.tryNumber = transition.tryNumber;
  instance.retryAtMs = null;
  return true;
}

/**
 * Replaces a mapped task's pending placeholder by `count` pending instances, keeping every count exact: the
 * placeholder's downstream lose it, the new instances count their upstreams from scratch, and their
 * downstream gain them. False (nothing changed) when the placeholder is gone or no longer pending.
 * O(count × degree).
 */
export function recordExpansion(ledger: RunLedger, expansion: MapExpansion): boolean {
  const { taskId, count } = expansion;
  const placeholder = ledger.instance(taskId);
  if (!placeholder || placeholder.mapIndex !== -1 || placeholder.state !== "pending" || count < 1) return false;
  const graph = ledger.graph;
  const base = expansion.tryNumber ?? 0;
  for (const key of downstreamInstanceKeys(graph, ledger, taskId, -1)) {
    const counts = ledger.writableCounts(key);
    if (counts) counts.total -= 1;
  }
  ledger.removeInstance(taskId);
  ledger.setExpansion(taskId, { count, shape: expansion.shape });
  for (let i = 0; i < count; i++) {
    const upstreamKeys = upstreamInstanceKeys(graph, ledger, taskId, i);
    const counts = zeroCounts(upstreamKeys.length);
    for (const key of upstreamKeys) {
      const up = ledger.instance(key);
      const field = up ? countFieldOf(up.state) : null;
      if (field) counts[field] += 1;
    }
    ledger.addInstance(instanceKey(taskId, i), { taskId, mapIndex: i, state: "pending", tryNumber: base, retryAtMs: null, lostTries: 0, retryBase: base, counts });
  }
  for (let i = 0; i < count; i++) {
    for (const key of downstreamInstanceKeys(graph, ledger, taskId, i)) {
      const counts = ledger.writableCounts(key);
      if (counts) counts.total += 1;
    }
  }
  ledger.unfinished += count - 1;
  return true;
}

/**
 * The inverse of recordExpansion: a mapped task's `count` pending instances are replaced by a pending
 * placeholder at try `tryNumber`, every count kept exact. False (nothing changed) when the task is not
 * expanded to `count` instances or one of them is not pending. O(count × degree).
 */
export function recordCollapse(ledger: RunLedger, collapse: MapCollapse): boolean {
  const { taskId, count } = collapse;
  if (ledger.expansion(taskId)?.count !== count) return false;
  for (let i = 0; i < count; i++) if (ledger.instance(instanceKey(taskId, i))?.state !== "pending") return false;
  const graph = ledger.graph;
  // Pending instances feed no count field of their downstream: only the totals change.
  for (let i = 0; i < count; i++) {
    for (const key of downstreamInstanceKeys(graph, ledger, taskId, i)) {
      const counts = ledger.writableCounts(key);
      if (counts) counts.total -= 1;
    }
  }
  for (let i = 0; i < count; i++) ledger.removeInstance(instanceKey(taskId, i));
  ledger.deleteExpansion(taskId);
  const upstreamKeys = upstreamInstanceKeys(graph, ledger, taskId, -1);
  const counts = zeroCounts(upstreamKeys.length);
  for (const key of upstreamKeys) {
    const up = ledger.instance(key);
    const field = up ? countFieldOf(up.state) : null;
    if (field) counts[field] += 1;
  }
  const { tryNumber } = collapse;
  ledger.addInstance(taskId, { taskId, mapIndex: -1, state: "pending", tryNumber, retryAtMs: null, lostTries: 0, retryBase: tryNumber, counts });
  for (const key of downstreamInstanceKeys(graph, ledger, taskId, -1)) {
    const counts = ledger.writableCounts(key);
    if (counts) counts.total += 1;
  }
  ledger.unfinished -= count - 1;
  return true;
}

/** The snapshot as a ledger: writes land on it directly. */
const ledgers = new WeakMap<RunSnapshot, RunLedger>();

/** The ledger over a snapshot itself (made once per snapshot: applyDecision runs for every event). */
export function snapshotLedger(snapshot: RunSnapshot): RunLedger {
  let ledger = ledgers.get(snapshot);
  if (ledger === undefined) {
    ledger = makeSnapshotLedger(snapshot);
    ledgers.set(snapshot, ledger);
  }
  return ledger;
}

function makeSnapshotLedger(snapshot: RunSnapshot): RunLedger {
  return {
    graph: snapshot.graph,
    get state() {
      return snapshot.state;
    },
    set state(value: RunState) {
      snapshot.state = value;
    },
    get unfinished() {
      return snapshot.unfinished;
    },
    set unfinished(value: number) {
      snapshot.unfinished = value;
    },
    get failed() {
      return snapshot.failed;
    },
    set failed(value: number) {
      snapshot.failed = value;
    },
    instance: (key) => snapshot.instances.get(key),
    writableInstance: (key) => snapshot.instances.get(key),
    writableCounts: (key) => snapshot.instances.get(key)?.counts,
    addInstance: (key, instance) => void snapshot.instances.set(key, instance),
    removeInstance: (key) => void snapshot.instances.delete(key),
    expansion: (taskId) => snapshot.expansions.get(taskId),
    setExpansion: (taskId, expansion) => void snapshot.expansions.set(taskId, expansion),
    deleteExpansion: (taskId) => void snapshot.expansions.delete(taskId),
    mapLength: (taskId) => snapshot.mapLengths.get(taskId),
    setMapLength: (taskId, length) => {
      if (length === undefined) snapshot.mapLengths.delete(taskId);
      else snapshot.mapLengths.set(taskId, length);
    },
  };
}

/** Object.assign(to, from) for an instance, field by field: no generic builtin call per changed instance. */
function copyInstance(to: InstanceSnapshot, from: InstanceSnapshot): void {
  to.taskId = from.taskId;
  to.mapIndex = from.mapIndex;
  to.state = from.state;
  to.tryNumber = from.tryNumber;
  to.retryAtMs = from.retryAtMs;
  to.lostTries = from.lostTries;
  to.retryBase = from.retryBase;
  to.counts = from.counts;
}

/** A copy-on-write overlay: what the snapshot would be after the transitions recorded so far. */
export class DraftLedger implements RunLedger {
  readonly graph: EngineGraph;
  state: RunState;
  unfinished: number;
  failed: number;
  private readonly base: RunSnapshot;
  /** Copied or added instances; null for one removed (an expanded placeholder). */
  private readonly changed = new Map<string, InstanceSnapshot | null>();
  private readonly added: string[] = [];
  private removedAny = false;
  /** null: collapsed (the snapshot's expansion no longer holds). */
  private readonly expansions = new Map<string, Expansion | null>();
  private readonly lengths = new Map<string, number | null | undefined>();

  constructor(base: RunSnapshot) {
    this.base = base;
    this.graph = base.graph;
    this.state = base.state;
    this.unfinished = base.unfinished;
    this.failed = base.failed;
  }

  instance(key: string): InstanceSnapshot | undefined {
    const changed = this.changed.get(key);
    if (changed !== undefined) return changed ?? undefined;
    return this.base.instances.get(key);
  }

  writableInstance(key: string): InstanceSnapshot | undefined {
    const copied = this.changed.get(key);
    if (copied !== undefined) return copied ?? undefined;
    const original = this.base.instances.get(key);
    if (!original) return undefined;
    // Field by field, in createRunSnapshot's order (not a spread): the copy has the same hidden class as the
    // snapshot's own instances, so code reading either kind stays monomorphic. Its counts are the snapshot's
    // until writableCounts copies them.
    const copy: InstanceSnapshot = {
      taskId: original.taskId,
      mapIndex: original.mapIndex,
      state: original.state,
      tryNumber: original.tryNumber,
      retryAtMs: original.retryAtMs,
      lostTries: original.lostTries,
      retryBase: original.retryBase,
      counts: original.counts,
    };
    this.changed.set(key, copy);
    return copy;
  }

  writableCounts(key: string): UpstreamCounts | undefined {
    const instance = this.writableInstance(key);
    if (!instance) return undefined;
    const c = instance.counts;
    // Still the snapshot's own object: copied before the first write (an added instance has counts of its own).
    if (c === this.base.instances.get(key)?.counts) {
      instance.counts = { success: c.success, skipped: c.skipped, failed: c.failed, upstreamFailed: c.upstreamFailed, removed: c.removed, total: c.total };
    }
    return instance.counts;
  }

  addInstance(key: string, instance: InstanceSnapshot): void {
    this.changed.set(key, instance);
    this.added.push(key);
  }

  removeInstance(key: string): void {
    this.changed.set(key, null);
    this.removedAny = true;
  }

  expansion(taskId: string): Expansion | undefined {
    const own = this.expansions.get(taskId);
    if (own !== undefined) return own ?? undefined;
    return this.base.expansions.get(taskId);
  }

  deleteExpansion(taskId: string): void {
    this.expansions.set(taskId, null);
  }

  setExpansion(taskId: string, expansion: Expansion): void {
    this.expansions.set(taskId, expansion);
  }

  mapLength(taskId: string): number | null | undefined {
    return this.lengths.has(taskId) ? this.lengths.get(taskId) : this.base.mapLengths.get(taskId);
  }

  setMapLength(taskId: string, length: number | null | undefined): void {
    this.lengths.set(taskId, length);
  }

  /**
   * Writes the draft onto the snapshot it was made over: what replaying its transitions there would do, in
   * O(changed instances) instead of redoing every count. Instances keep their identity (fields are copied onto
   * them); removed ones are deleted and added ones appended in the order they were added, as a replay would.
   */
  commitTo(snapshot: RunSnapshot): void {
    const instances = snapshot.instances;
    // forEach, not for-of with [key, value] destructuring (its iterator protocol is most of what V8 compiles).
    this.changed.forEach((instance, key) => {
      if (instance === null) {
        instances.delete(key);
        return;
      }
      const original = instances.get(key);
      if (original !== undefined && original !== instance) copyInstance(original, instance);
    });
    if (this.added.length > 0 || this.expansions.size > 0 || this.lengths.size > 0) this.commitMapping(snapshot);
    snapshot.state = this.state;
    snapshot.unfinished = this.unfinished;
    snapshot.failed = this.failed;
  }

  /** What only a mapped task's expansion or collapse, or a map source's length, changes (most decisions have none). */
  private commitMapping(snapshot: RunSnapshot): void {
    for (const key of this.added) {
      const instance = this.changed.get(key);
      if (instance) snapshot.instances.set(key, instance);
    }
    this.expansions.forEach((expansion, taskId) => {
      if (expansion === null) snapshot.expansions.delete(taskId);
      else snapshot.expansions.set(taskId, expansion);
    });
    this.lengths.forEach((length, taskId) => {
      if (length === undefined) snapshot.mapLengths.delete(taskId);
      else snapshot.mapLengths.set(taskId, length);
    });
  }

  /** Keys of every instance as the draft sees them: the snapshot's, minus removed ones, plus added ones. */
  keys(): string[] {
    const keys = [...this.base.instances.keys()];
    if (this.added.length === 0 && !this.removedAny) return keys;
    const present = keys.filter((key) => this.changed.get(key) !== null);
    for (const key of this.added) if (!this.base.instances.has(key) && this.changed.get(key)) present.push(key);
    return present;
  }
}
