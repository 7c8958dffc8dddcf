// The one place that knows what a transition does to a run's bookkeeping (instance fields, downstream
// upstream-counts, unfinished/failed counters). advance() runs it on a draft to see the consequences of an
// event; applyDecision() runs it on the snapshot, so the two can never disagree.
import { isTerminalTaskState, type RunState, type TaskState } from "./states.js";
import { downstreamInstanceKeys } from "./instance-edges.js";
import type { EngineGraph, InstanceSnapshot, InstanceTransition, RunSnapshot, UpstreamCounts } from "./types.js";
import { instanceKey } from "./types.js";

/** A run whose bookkeeping can be changed: the snapshot itself, or a copy-on-write draft over it. */
export interface RunLedger {
  readonly graph: EngineGraph;
  state: RunState;
  unfinished: number;
  failed: number;
  instance(key: string): InstanceSnapshot | undefined;
  /** The same instance, writable: a draft copies it on first write so the snapshot stays untouched. */
  writableInstance(key: string): InstanceSnapshot | undefined;
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
  const key = instanceKey(transition.taskId, transition.mapIndex);
  const current = ledger.instance(key);
  if (!current || current.state !== transition.from) return false;
  const instance = ledger.writableInstance(key);
  if (!instance) return false;
  const { from, to } = transition;
  instance.state = to;
  instance.tryNumber = transition.tryNumber;
  instance.retryAtMs = to === "up_for_retry" ? (transition.retryAtMs ?? null) : null;
  if (transition.error?.kind === "lost") instance.lostTries += 1;

  const wasTerminal = isTerminalTaskState(from);
  const isTerminal = isTerminalTaskState(to);
  // Leaving a terminal state only happens when a user clears an instance; handled so counts stay exact.
  if (wasTerminal !== isTerminal) ledger.unfinished += isTerminal ? -1 : 1;
  ledger.failed += (isFailureState(to) ? 1 : 0) - (isFailureState(from) ? 1 : 0);

  const oldField = countFieldOf(from);
  const newField = countFieldOf(to);
  if (oldField !== newField) {
    for (const downKey of downstreamInstanceKeys(ledger.graph, instance.taskId, instance.mapIndex)) {
      const down = ledger.writableInstance(downKey);
      if (!down) continue;
      if (oldField) down.counts[oldField] -= 1;
      if (newField) down.counts[newField] += 1;
    }
  }
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
  };
}

/** A copy-on-write overlay: what the snapshot would be after the transitions recorded so far. */
export class DraftLedger implements RunLedger {
  readonly graph: EngineGraph;
  state: RunState;
  unfinished: number;
  failed: number;
  private readonly base: RunSnapshot;
  private readonly changed = new Map<string, InstanceSnapshot>();

  constructor(base: RunSnapshot) {
    this.base = base;
    this.graph = base.graph;
    this.state = base.state;
    this.unfinished = base.unfinished;
    this.failed = base.failed;
  }

  instance(key: string): InstanceSnapshot | undefined {
    return this.changed.get(key) ?? this.base.instances.get(key);
  }

  writableInstance(key: string): InstanceSnapshot | undefined {
    const copied = this.changed.get(key);
    if (copied) return copied;
    const original = this.base.instances.get(key);
    if (!original) return undefined;
    const copy: InstanceSnapshot = { ...original, counts: { ...original.counts } };
    this.changed.set(key, copy);
    return copy;
  }
}
