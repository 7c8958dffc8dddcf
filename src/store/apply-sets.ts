// A decision's hot single-row writes gathered into set-based statements where each statement costs (SQLite:
// one prepared-statement step, ~tens of µs, per row). Consecutive transitions of the same shape — a fan-out
// scheduled, a tick's tries started, a tick's successes — become one UPDATE (or INSERT) per shape and chunk.
// Only used on the straight pass of applyDecisionBatch: a guard that fails here (a statement changed fewer
// rows than it lists) rolls the batch back, and the decision-by-decision pass then writes row by row, with
// the exact conflict message. Order is kept where it matters: a stretch never names one instance twice, and
// it is written before the next statement that is not part of a stretch.
//
// This runs once per transition of every tick: rows' params go into one flat array per statement shape (no
// array per row), a shape is found again without building its key while it stays the same, and the instances
// named are tracked without a string or a set per instance.
import type { InstanceTransition } from "../engine/types.js";
import type { SqlParam, SqlTransaction } from "./dialect.js";
import { SET_SIZES, START_INSTANCE, startInstancesSql, TRANSITION_INSTANCE, transitionInstancesSql } from "./sql/instances.js";
import { END_TRY, endTriesSql, INSERT_RUNNING_TRY, insertRunningTriesSql } from "./sql/tries.js";

/** The single-row statement's params for row `row` (its own params at `params[row * width …]`). */
type SingleParams = (head: readonly SqlParam[], params: readonly SqlParam[], at: number, tail: readonly SqlParam[]) => SqlParam[];

/** Rows of one statement shape: the statement's common params, then each row's own, flat, in statement order. */
class Group {
  readonly params: SqlParam[] = [];

  constructor(
    readonly sql: (rows: number) => string,
    /** Params before the rows' own, and after them. */
    readonly head: readonly SqlParam[],
    readonly tail: readonly SqlParam[],
    /** Params per row. */
    readonly width: number,
    /** The single-row statement for one row (fewer rows than the smallest set size are cheaper this way). */
    readonly singleSql: string,
    readonly single: SingleParams,
    /** Whether every row must change one row (guarded UPDATEs); an INSERT fails on its own. */
    readonly guarded: boolean,
    readonly what: string,
  ) {}
}

const moveSingle: SingleParams = (h, p, at) => [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, p[at]!, p[at + 1]!, h[5]!, h[6]!];
const startSingle: SingleParams = (h, p, at) => [h[0]!, h[1]!, null, null, h[2]!, h[3]!, p[at]!, p[at + 1]!, h[4]!, h[5]!];
const insertSingle: SingleParams = (_h, p, at) => p.slice(at, at + 7);
const endSingle: SingleParams = (h, p, at, tl) => [h[0]!, h[1]!, p[at + 2]!, p[at + 3]!, p[at + 4]!, tl[0]!, p[at]!, p[at + 1]!, tl[1]!];

const NONE: readonly SqlParam[] = [];

export class SetWrites {
  private readonly moves = new Map<string, Group>();
  private readonly starts = new Map<string, Group>();
  private tryInserts: Group | null = null;
  private readonly tryEnds = new Map<string, Group>();
  /** Row-by-row writes that must follow the set writes of their instance (a success's extras). */
  private after: (() => Promise<void>)[] = [];
  /** Instances named in this stretch: unmapped ones by task id, mapped ones by task id and map index. */
  private readonly unmapped = new Set<string>();
  private readonly mapped = new Map<string, Set<number>>();
  private named = 0;
  /** The last group of each kind with what chose it (until the flush that clears the groups): a stretch is usually one shape. */
  private lastMove: Group | null = null;
  private lastMoveFrom = "";
  private lastMoveTo = "";
  private lastMoveTry = -1;
  private lastMoveRetryAt: number | null = null;
  private lastMoveEnded: number | null = null;
  private lastStart: Group | null = null;
  private lastStartFrom = "";
  private lastStartTry = -1;
  private lastEnd: Group | null = null;
  private lastEndOutcome = "";
  private lastEndTry = -1;

  constructor(
    private readonly tx: SqlTransaction,
    private readonly runId: string,
    private readonly nowMs: number,
  ) {}

  /** Whether the instance is already named in this stretch (flush first, to keep its writes in order). */
  has(t: InstanceTransition): boolean {
    if (this.named === 0) return false;
    return t.mapIndex < 0 ? this.unmapped.has(t.taskId) : (this.mapped.get(t.taskId)?.has(t.mapIndex) ?? false);
  }

  private claim(t: InstanceTransition): void {
    this.named++;
    if (t.mapIndex < 0) {
      this.unmapped.add(t.taskId);
      return;
    }
    let indexes = this.mapped.get(t.taskId);
    if (indexes === undefined) this.mapped.set(t.taskId, (indexes = new Set()));
    indexes.add(t.mapIndex);
  }

  /** An instance move with no try write (TRANSITION_INSTANCE's set form). */
  move(t: InstanceTransition, retryAtMs: number | null, endedMs: number | null): void {
    this.claim(t);
    let g = this.lastMove;
    if (g === null || this.lastMoveFrom !== t.from || this.lastMoveTo !== t.to || this.lastMoveTry !== t.tryNumber || this.lastMoveRetryAt !== retryAtMs || this.lastMoveEnded !== endedMs) {
      g = this.moveGroup(t, retryAtMs, endedMs);
    }
    g.params.push(t.taskId, t.mapIndex);
  }

  private moveGroup(t: InstanceTransition, retryAtMs: number | null, endedMs: number | null): Group {
    const key = `${t.from}|${t.to}|${t.tryNumber}|${retryAtMs}|${endedMs}`;
    let g = this.moves.get(key);
    if (g === undefined) {
      g = new Group(transitionInstancesSql, [t.to, t.tryNumber, retryAtMs, endedMs, this.runId, t.from, t.tryNumber], NONE, 2, TRANSITION_INSTANCE, moveSingle, true, `${t.from} → ${t.to}`);
      this.moves.set(key, g);
    }
    this.lastMove = g;
    this.lastMoveFrom = t.from;
    this.lastMoveTo = t.to;
    this.lastMoveTry = t.tryNumber;
    this.lastMoveRetryAt = retryAtMs;
    this.lastMoveEnded = endedMs;
    return g;
  }

  /** A try queued and started at once: the instance starts, the try is inserted running. */
  start(t: InstanceTransition, worker: string | null): void {
    this.claim(t);
    let g = this.lastStart;
    if (g === null || this.lastStartFrom !== t.from || this.lastStartTry !== t.tryNumber) g = this.startGroup(t);
    g.params.push(t.taskId, t.mapIndex);
    const inserts = (this.tryInserts ??= new Group(insertRunningTriesSql, NONE, NONE, 7, INSERT_RUNNING_TRY, insertSingle, false, "insert try"));
    inserts.params.push(this.runId, t.taskId, t.mapIndex, t.tryNumber, this.nowMs, this.nowMs, worker);
  }

  private startGroup(t: InstanceTransition): Group {
    const key = `${t.from}|${t.tryNumber}`;
    let g = this.starts.get(key);
    if (g === undefined) {
      g = new Group(startInstancesSql, ["running", t.tryNumber, this.nowMs, this.runId, t.from, t.tryNumber - 1], NONE, 2, START_INSTANCE, startSingle, true, `${t.from} → running`);
      this.starts.set(key, g);
    }
    this.lastStart = g;
    this.lastStartFrom = t.from;
    this.lastStartTry = t.tryNumber;
    return g;
  }

  /** A try ended with `outcome` (END_TRY's set form), then `extras` once it is written. */
  endTry(t: InstanceTransition, outcome: string, output: string | null, error: string | null, extras: (() => Promise<void>) | null): void {
    let g = this.lastEnd;
    if (g === null || this.lastEndOutcome !== outcome || this.lastEndTry !== t.tryNumber) g = this.endGroup(t, outcome);
    g.params.push(t.taskId, t.mapIndex, output, error, t.startedMs ?? null);
    if (extras !== null) this.after.push(extras);
  }

  private endGroup(t: InstanceTransition, outcome: string): Group {
    const key = `${outcome}|${t.tryNumber}`;
    let g = this.tryEnds.get(key);
    if (g === undefined) {
      g = new Group(endTriesSql, [outcome, this.nowMs], [this.runId, t.tryNumber], 5, END_TRY, endSingle, true, `try → ${outcome}`);
      this.tryEnds.set(key, g);
    }
    this.lastEnd = g;
    this.lastEndOutcome = outcome;
    this.lastEndTry = t.tryNumber;
    return g;
  }

  /** Writes what is gathered; throws `guardFailed(what)` when a guarded statement changed too few rows. */
  async flush(guardFailed: (what: string) => unknown): Promise<void> {
    if (this.named === 0) return;
    for (const g of this.moves.values()) await this.write(g, guardFailed);
    for (const g of this.starts.values()) await this.write(g, guardFailed);
    if (this.tryInserts !== null) await this.write(this.tryInserts, guardFailed);
    for (const g of this.tryEnds.values()) await this.write(g, guardFailed);
    this.moves.clear();
    this.starts.clear();
    this.tryInserts = null;
    this.tryEnds.clear();
    this.unmapped.clear();
    this.mapped.clear();
    this.named = 0;
    this.lastMove = null;
    this.lastStart = null;
    this.lastEnd = null;
    const after = this.after;
    this.after = [];
    for (const write of after) await write();
  }

  private async write(g: Group, guardFailed: (what: string) => unknown): Promise<void> {
    const { width } = g;
    const rows = g.params.length / width;
    let row = 0;
    while (row < rows) {
      const size = setSizeFor(rows - row);
      if (size === 0) {
        // A few rows: the plain statement per row (a set form's VALUES list costs more than it saves here).
        const changed = await this.tx.run(g.singleSql, g.single(g.head, g.params, row * width, g.tail));
        if (g.guarded && changed !== 1) throw guardFailed(`1 of 1 instances was not where the decision expected (wanted ${g.what})`);
        row += 1;
        continue;
      }
      const params = g.head.concat(g.params.slice(row * width, (row + size) * width), g.tail);
      const changed = await this.tx.run(g.sql(size), params);
      if (g.guarded && changed !== size) throw guardFailed(`${size - changed} of ${size} instances were not where the decision expected (wanted ${g.what})`);
      row += size;
    }
  }
}

/** The largest set size that `rows` rows fill, or 0 when fewer rows are left than the smallest. */
function setSizeFor(rows: number): number {
  for (let i = 0; i < SET_SIZES.length; i++) if ((SET_SIZES[i] as number) <= rows) return SET_SIZES[i] as number;
  return 0;
}
