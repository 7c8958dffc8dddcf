// What the store keeps of a run, for tests that rebuild a snapshot the way a restarted scheduler does: the
// instance rows as src/store/apply-decisions.ts writes them (retry_base set by a reopen, by a collapse's
// placeholder and by an expansion after one; lost tries counted above it, as run-tracking.ts reads them; a
// product's shape on its instance 0),
// and the lengths of the outputs of successful map sources. Nothing is copied from the in-memory snapshot.
import { isTerminalTaskState, type RunState, type TaskState } from "./states.js";
import { createRunSnapshot, type InstanceRecord } from "./snapshot.js";
import { instanceKey, type Decision, type EngineGraph, type InstanceTransition, type RunSnapshot } from "./types.js";

interface Row {
  taskId: string;
  mapIndex: number;
  state: TaskState;
  tryNumber: number;
  retryAtMs: number | null;
  retryBase: number;
  mapShape: readonly number[] | null;
}

export class StoreModel {
  private readonly rows = new Map<string, Row>();
  /** Lost tries by instance key: their try numbers. */
  private readonly lost = new Map<string, number[]>();
  private readonly lengths = new Map<string, number | null>();
  private runState: RunState;

  constructor(readonly runId: string, readonly graph: EngineGraph, state: RunState = "queued") {
    this.runState = state;
    for (const taskId of graph.order) this.rows.set(taskId, { taskId, mapIndex: -1, state: "pending", tryNumber: 0, retryAtMs: null, retryBase: 0, mapShape: null });
  }

  /** Writes a committed decision, in the order apply-decisions.ts does (collapses, then expansions, at their index). */
  apply(decision: Decision): void {
    if (decision.run) this.runState = decision.run.to;
    const collapses = decision.collapses ?? [];
    const expansions = decision.expansions ?? [];
    let c = 0;
    let e = 0;
    const { transitions } = decision;
    for (let i = 0; i <= transitions.length; i++) {
      while (c < collapses.length && collapses[c]!.at <= i) {
        const { taskId, tryNumber } = collapses[c++]!;
        for (const [key, row] of this.rows) if (row.taskId === taskId && row.mapIndex >= 0) this.rows.delete(key);
        this.rows.set(taskId, { taskId, mapIndex: -1, state: "pending", tryNumber, retryAtMs: null, retryBase: tryNumber, mapShape: null });
      }
      while (e < expansions.length && expansions[e]!.at <= i) {
        const { taskId, count, shape, tryNumber = 0 } = expansions[e++]!;
        this.rows.delete(taskId);
        for (let k = 0; k < count; k++) this.rows.set(instanceKey(taskId, k), { taskId, mapIndex: k, state: "pending", tryNumber, retryAtMs: null, retryBase: tryNumber, mapShape: k === 0 ? shape : null });
      }
      if (i < transitions.length) this.move(transitions[i]!);
    }
  }

  private move(t: InstanceTransition): void {
    const key = instanceKey(t.taskId, t.mapIndex);
    const row = this.rows.get(key);
    if (!row) throw new Error(`store model: no row ${key}`);
    if (isTerminalTaskState(t.from) && !isTerminalTaskState(t.to)) row.retryBase = t.tryNumber;
    row.state = t.to;
    row.tryNumber = t.tryNumber;
    row.retryAtMs = t.to === "up_for_retry" ? (t.retryAtMs ?? null) : null;
    if (t.error?.kind === "lost") this.lost.set(key, [...(this.lost.get(key) ?? []), t.tryNumber]);
    // RunOutputs.lengths: the lengths of the outputs of map sources that are a success now.
    if (t.to === "success" && t.mapLength !== undefined) this.lengths.set(t.taskId, t.mapLength);
    else if (t.from === "success") this.lengths.delete(t.taskId);
  }

  /** The snapshot a scheduler builds from these rows (run-tracking.ts readInstanceRecords + newActiveRun). */
  snapshot(): RunSnapshot {
    const records: InstanceRecord[] = [...this.rows.entries()].map(([key, row]) => ({
      ...row,
      lostTries: (this.lost.get(key) ?? []).filter((n) => n > row.retryBase).length,
    }));
    return createRunSnapshot(this.runId, this.runState, this.graph, records, this.lengths);
  }
}
