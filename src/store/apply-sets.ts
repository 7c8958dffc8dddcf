// A decision's hot single-row writes gathered into set-based statements where each statement costs (SQLite:
// one prepared-statement step, ~tens of µs, per row). Consecutive transitions of the same shape — a fan-out
// scheduled, a tick's tries started, a tick's successes — become one UPDATE (or INSERT) per shape and chunk.
// Only used on the straight pass of applyDecisionBatch: a guard that fails here (a statement changed fewer
// rows than it lists) rolls the batch back, and the decision-by-decision pass then writes row by row, with
// the exact conflict message. Order is kept where it matters: a stretch never names one instance twice, and
// it is written before the next statement that is not part of a stretch.
import type { InstanceTransition } from "../engine/types.js";
import type { SqlParam, SqlTransaction } from "./dialect.js";
import { SET_SIZES, START_INSTANCE, startInstancesSql, TRANSITION_INSTANCE, transitionInstancesSql } from "./sql/instances.js";
import { END_TRY, endTriesSql, INSERT_RUNNING_TRY, insertRunningTriesSql } from "./sql/tries.js";

/** A set of rows sharing the statement's common params; `rowParams` per row, in the order of the statement. */
interface Group {
  sql: (rows: number) => string;
  /** Params before the rows' own, and after them. */
  head: readonly SqlParam[];
  tail: readonly SqlParam[];
  rowParams: SqlParam[][];
  /** The single-row statement for one row (fewer rows than the smallest set size are cheaper this way). */
  single: (head: readonly SqlParam[], row: readonly SqlParam[], tail: readonly SqlParam[]) => SqlParam[];
  singleSql: string;
  /** Whether every row must change one row (guarded UPDATEs); an INSERT fails on its own. */
  guarded: boolean;
  what: string;
}

export class SetWrites {
  private readonly moves = new Map<string, Group>();
  private readonly starts = new Map<string, Group>();
  private readonly tryInserts = new Map<string, Group>();
  private readonly tryEnds = new Map<string, Group>();
  /** Row-by-row writes that must follow the set writes of their instance (a success's extras). */
  private after: (() => Promise<void>)[] = [];
  /** Instances named in this stretch: task id → map indexes (no key string built per transition). */
  private readonly rows = new Map<string, Set<number>>();
  /** The last move group used (until the flush that clears the groups): a stretch is usually one shape. */
  private lastMove: { from: string; to: string; tryNumber: number; retryAtMs: number | null; endedMs: number | null; group: Group } | null = null;

  constructor(
    private readonly tx: SqlTransaction,
    private readonly runId: string,
    private readonly nowMs: number,
  ) {}

  /** Whether the instance is already named in this stretch (flush first, to keep its writes in order). */
  has(t: InstanceTransition): boolean {
    return this.rows.get(t.taskId)?.has(t.mapIndex) ?? false;
  }

  private claim(t: InstanceTransition): void {
    let indexes = this.rows.get(t.taskId);
    if (indexes === undefined) this.rows.set(t.taskId, (indexes = new Set()));
    indexes.add(t.mapIndex);
  }

  /** An instance move with no try write (TRANSITION_INSTANCE's set form). */
  move(t: InstanceTransition, retryAtMs: number | null, endedMs: number | null): void {
    this.claim(t);
    const last = this.lastMove;
    if (last !== null && last.from === t.from && last.to === t.to && last.tryNumber === t.tryNumber && last.retryAtMs === retryAtMs && last.endedMs === endedMs) {
      last.group.rowParams.push([t.taskId, t.mapIndex]);
      return;
    }
    const key = `${t.from}|${t.to}|${t.tryNumber}|${retryAtMs}|${endedMs}`;
    const found = group(this.moves, key, () => ({ sql: transitionInstancesSql, head: [t.to, t.tryNumber, retryAtMs, endedMs, this.runId, t.from, t.tryNumber], tail: [], rowParams: [], guarded: true, what: `${t.from} → ${t.to}`, singleSql: TRANSITION_INSTANCE, single: (h, r) => [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, r[0]!, r[1]!, h[5]!, h[6]!] }));
    found.rowParams.push([t.taskId, t.mapIndex]);
    this.lastMove = { from: t.from, to: t.to, tryNumber: t.tryNumber, retryAtMs, endedMs, group: found };
  }

  /** A try queued and started at once: the instance starts, the try is inserted running. */
  start(t: InstanceTransition, worker: string | null): void {
    this.claim(t);
    const key = `${t.from}|${t.tryNumber}`;
    group(this.starts, key, () => ({ sql: startInstancesSql, head: ["running", t.tryNumber, this.nowMs, this.runId, t.from, t.tryNumber - 1], tail: [], rowParams: [], guarded: true, what: `${t.from} → running`, singleSql: START_INSTANCE, single: (h, r) => [h[0]!, h[1]!, null, null, h[2]!, h[3]!, r[0]!, r[1]!, h[4]!, h[5]!] })).rowParams.push([t.taskId, t.mapIndex]);
    group(this.tryInserts, "", () => ({ sql: insertRunningTriesSql, head: [], tail: [], rowParams: [], guarded: false, what: "insert try", singleSql: INSERT_RUNNING_TRY, single: (_h, r) => [...r] })).rowParams.push([this.runId, t.taskId, t.mapIndex, t.tryNumber, this.nowMs, this.nowMs, worker]);
  }

  /** A try ended with `outcome` (END_TRY's set form), then `extras` once it is written. */
  endTry(t: InstanceTransition, outcome: string, output: string | null, error: string | null, extras: (() => Promise<void>) | null): void {
    const key = `${outcome}|${t.tryNumber}`;
    group(this.tryEnds, key, () => ({ sql: endTriesSql, head: [outcome, this.nowMs], tail: [this.runId, t.tryNumber], rowParams: [], guarded: true, what: `try → ${outcome}`, singleSql: END_TRY, single: (h, r, tl) => [h[0]!, h[1]!, r[2]!, r[3]!, r[4]!, tl[0]!, r[0]!, r[1]!, tl[1]!] })).rowParams.push([t.taskId, t.mapIndex, output, error, t.startedMs ?? null]);
    if (extras !== null) this.after.push(extras);
  }

  /** Writes what is gathered; throws `guardFailed(what)` when a guarded statement changed too few rows. */
  async flush(guardFailed: (what: string) => unknown): Promise<void> {
    if (this.rows.size === 0) return;
    for (const groups of [this.moves, this.starts, this.tryInserts, this.tryEnds]) {
      for (const g of groups.values()) await this.write(g, guardFailed);
      groups.clear();
    }
    const after = this.after;
    this.after = [];
    this.rows.clear();
    this.lastMove = null;
    for (const write of after) await write();
  }

  private async write(g: Group, guardFailed: (what: string) => unknown): Promise<void> {
    let at = 0;
    while (at < g.rowParams.length) {
      const left = g.rowParams.length - at;
      const size = SET_SIZES.find((s) => s <= left);
      if (size === undefined) {
        // A few rows: the plain statement per row (a set form's VALUES list costs more than it saves here).
        const changed = await this.tx.run(g.singleSql, g.single(g.head, g.rowParams[at]!, g.tail));
        if (g.guarded && changed !== 1) throw guardFailed(`1 of 1 instances was not where the decision expected (wanted ${g.what})`);
        at += 1;
        continue;
      }
      // One native concat, not a push per value: it is cheaper, and a loop pushing strings onto an array that
      // began empty (the try inserts' head) deoptimized this function each run.
      const params: SqlParam[] = g.head.concat(...g.rowParams.slice(at, at + size), g.tail);
      const changed = await this.tx.run(g.sql(size), params);
      if (g.guarded && changed !== size) throw guardFailed(`${size - changed} of ${size} instances were not where the decision expected (wanted ${g.what})`);
      at += size;
    }
  }
}

function group(groups: Map<string, Group>, key: string, make: () => Group): Group {
  let g = groups.get(key);
  if (g === undefined) {
    g = make();
    groups.set(key, g);
  }
  return g;
}
