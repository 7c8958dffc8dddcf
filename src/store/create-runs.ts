// Creating runs: one run (`weir trigger`, `weir run`) or many in one transaction (catch-up, backfills). A
// scheduled run is unique per (pipeline, logical date) by a partial index; inserting it again is a no-op that
// reports the existing run. Shared by createRun, createRuns and createBackfill so they can't drift apart.
// A run the scheduler creates already started (NewRun.started) is inserted `running`, its instances in the
// states its first decision gave them: the same rows that decision's update would have left.
import { WeirError } from "../common/errors.js";
import { runAll, type Dialect, type SqlParam, type SqlTransaction } from "./dialect.js";
import { holdFence } from "./leases.js";
import { INSERT_INSTANCES_IN_STATE_PARAMS_PER_ROW, INSERT_PENDING_INSTANCES_PARAMS_PER_ROW, insertInstancesInStateSql, insertPendingInstancesSql } from "./sql/instances.js";
import { GET_SCHEDULED_RUN_ID, INSERT_RUN, INSERT_STARTED_RUN } from "./sql/runs.js";
import type { CreatedRun, LeaseFence, NewRun } from "./types.js";

/** Multi-row inserts stay well under any dialect's parameter cap and reuse one cached statement per size. */
export const INSERT_CHUNK_ROWS = 500;

/**
 * Inserts the runs and their pending instances inside `tx`, in input order. A failure names the run that
 * caused it (see explainCreateRunError) and leaves the rollback to the caller's transaction. With a `fence`,
 * `scheduler_fenced` is thrown before anything is written unless its owner still holds the lease.
 */
export async function insertRuns(
  dialect: Dialect,
  tx: SqlTransaction,
  runs: readonly NewRun[],
  nowMs: number,
  backfillId?: string,
  fence?: LeaseFence,
): Promise<CreatedRun[]> {
  for (const run of runs) if (run.started) checkStart(run);
  // The first write: a scheduler that lost its lease rolls back here, before a single run is written.
  if (fence) await holdFence(tx, fence);
  const results: CreatedRun[] = new Array<CreatedRun>(runs.length);
  // Instances of the created runs share multi-row statements of INSERT_CHUNK_ROWS rows rather than one per
  // run (365 runs × 10 tasks: 8 statements instead of 365); only the last one is shorter, so the prepared
  // statements cached per size stay two.
  const chunk = new InstanceChunk(dialect, tx, runs);
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    let result: CreatedRun;
    try {
      result = await insertRun(tx, run, nowMs, backfillId ?? run.backfillId ?? null);
    } catch (error) {
      throw explainCreateRunError(dialect, run, error);
    }
    results[i] = result;
    // `add` says when the chunk is full; awaiting only then spares a microtask per instance.
    if (!result.created) continue;
    const states = run.started?.instanceStates;
    for (let t = 0; t < run.taskIds.length; t++) if (chunk.add(run.id, run.taskIds[t]!, states?.[t] ?? "pending")) await chunk.flush();
  }
  await chunk.flush();
  return results;
}

async function insertRun(tx: SqlTransaction, run: NewRun, nowMs: number, backfillId: string | null): Promise<CreatedRun> {
  const params: SqlParam[] = [
    run.id,
    run.pipelineId,
    run.version,
    run.trigger,
    run.logicalDateMs,
    run.intervalStartMs,
    run.intervalEndMs,
    JSON.stringify(run.params),
    run.file,
    backfillId,
    run.owner ?? null,
    nowMs,
  ];
  if (run.started) params.push(run.started.atMs);
  const inserted = await tx.run(run.started ? INSERT_STARTED_RUN : INSERT_RUN, params);
  if (inserted > 0) return { id: run.id, created: true };
  // Only the scheduled-run index has an ON CONFLICT clause: this (pipeline, logical date) already has its run.
  const existing = await tx.get<{ id: string }>(GET_SCHEDULED_RUN_ID, [run.pipelineId, run.logicalDateMs]);
  if (existing === undefined) throw new Error(`run ${run.id} was neither inserted nor found`);
  return { id: existing.id, created: false };
}

/** A started run's instance states must line up with its tasks and need no try row (see NewRunStart). */
function checkStart(run: NewRun): void {
  const states = run.started!.instanceStates;
  if (states.length !== run.taskIds.length || states.some((state) => state !== "pending" && state !== "scheduled")) {
    throw new WeirError("run_invalid", `Cannot create run ${run.id} of pipeline ${run.pipelineId} started: its instance states (${states.join(", ")}) are not one of pending or scheduled per task (${run.taskIds.length} tasks).`, {
      where: { pipeline: run.pipelineId, run: run.id },
      input: false,
    });
  }
}

/**
 * Instances, written INSERT_CHUNK_ROWS at a time from one reused parameter array: all pending (a state in the
 * statement), or, when a run of the batch is created started, each with its state as a parameter.
 */
class InstanceChunk {
  private readonly params: SqlParam[];
  private length = 0;
  private readonly perRow: number;

  constructor(
    private readonly dialect: Dialect,
    private readonly tx: SqlTransaction,
    private readonly runs: readonly NewRun[],
  ) {
    this.perRow = runs.some((run) => run.started !== undefined) ? INSERT_INSTANCES_IN_STATE_PARAMS_PER_ROW : INSERT_PENDING_INSTANCES_PARAMS_PER_ROW;
    // No bigger than all the instances there may be: one small run fills its chunk exactly, without a copy.
    let instances = 0;
    for (const run of runs) instances += run.taskIds.length;
    this.params = new Array<SqlParam>(Math.min(INSERT_CHUNK_ROWS, instances) * this.perRow);
  }

  /** Queues one instance; true when the chunk is full and must be flushed before the next add. */
  add(runId: string, taskId: string, state: "pending" | "scheduled"): boolean {
    this.params[this.length++] = runId;
    this.params[this.length++] = taskId;
    if (this.perRow === INSERT_INSTANCES_IN_STATE_PARAMS_PER_ROW) this.params[this.length++] = state;
    return this.length >= this.params.length;
  }

  async flush(): Promise<void> {
    if (this.length === 0) return;
    // The statement has run when `run` resolves, so the array can be refilled afterwards.
    const params = this.length === this.params.length ? this.params : this.params.slice(0, this.length);
    const rows = this.length / this.perRow;
    const sql = this.perRow === INSERT_INSTANCES_IN_STATE_PARAMS_PER_ROW ? insertInstancesInStateSql(rows) : insertPendingInstancesSql(rows);
    try {
      // Batched with the runs' inserts where the dialect batches (its count is not needed), with its own copy of
      // the reused array; one by one, the statement has run when `run` resolves, so no copy is needed.
      await runAll(this.tx, [{ sql, params: this.tx.runMany && params === this.params ? [...params] : params }]);
    } catch (error) {
      throw explainCreateRunError(this.dialect, this.culprit(params), error);
    } finally {
      this.length = 0;
    }
  }

  /** The run to name when a chunk fails: one listing a task id twice (the only way this insert fails). */
  private culprit(params: readonly SqlParam[]): NewRun {
    const ids = new Set(params.filter((_, i) => i % this.perRow === 0));
    const inChunk = this.runs.filter((run) => ids.has(run.id));
    return inChunk.find((run) => new Set(run.taskIds).size !== run.taskIds.length) ?? inChunk[0] ?? this.runs[0]!;
  }
}

/** Constraint failures become the WeirErrors of the Store contract, naming the run; others pass through. */
export function explainCreateRunError(dialect: Dialect, run: NewRun, error: unknown): unknown {
  if (error instanceof WeirError) return error;
  const kind = dialect.classifyError(error);
  if (kind === "foreign_key_violation") {
    return new WeirError(
      "pipeline_version_unknown",
      `Cannot create run ${run.id}: pipeline ${run.pipelineId} version ${run.version} is not registered (save the pipeline version first).`,
      { where: { pipeline: run.pipelineId, run: run.id }, cause: error },
    );
  }
  if (kind === "unique_violation") {
    return new WeirError(
      "run_conflict",
      `Cannot create run ${run.id} of pipeline ${run.pipelineId}: a run with this id exists, or a task id is listed twice.`,
      { where: { pipeline: run.pipelineId, run: run.id }, cause: error },
    );
  }
  return error;
}
