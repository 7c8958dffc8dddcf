// Backfill verbs: a backfill and its runs are created in one transaction (a crash never leaves a backfill
// without its runs, nor runs without their backfill), and its state moves only by guarded writes.
import { WeirError } from "../common/errors.js";
import { isValidId } from "../common/ids.js";
import { REPROCESS_MODES } from "../time/index.js";
import { transactionWithBatchedWrites } from "./batched-writes.js";
import { insertRuns } from "./create-runs.js";
import type { Dialect, SqlParam, SqlSession } from "./dialect.js";
import { toBackfillRecord, type BackfillRow } from "./records.js";
import { GET_BACKFILL, INSERT_BACKFILL, listBackfillsSql, SET_BACKFILL_STATE } from "./sql/backfills.js";
import type { BackfillFilter, BackfillRecord, BackfillState, CreatedRun, NewBackfill, NewRun } from "./types.js";

const TERMINAL: ReadonlySet<BackfillState> = new Set<BackfillState>(["success", "failed", "canceled"]);

function invalid(backfill: NewBackfill, why: string): WeirError {
  return new WeirError("backfill_invalid", `Backfill ${backfill.id} of pipeline ${backfill.pipelineId}: ${why}.`, {
    where: { pipeline: backfill.pipelineId },
  });
}

function validateBackfill(backfill: NewBackfill, runs: readonly NewRun[]): void {
  if (typeof backfill.id !== "string" || !isValidId(backfill.id)) throw invalid(backfill, "the id must match ^[A-Za-z0-9_.-]{1,250}$");
  if (!Number.isSafeInteger(backfill.fromMs) || !Number.isSafeInteger(backfill.toMs) || backfill.fromMs > backfill.toMs) {
    const range = `${String(backfill.fromMs)}…${String(backfill.toMs)}`;
    throw invalid(backfill, `the range must be whole epoch-ms times with from ≤ to, got ${range}`);
  }
  if (backfill.concurrency !== null && (!Number.isSafeInteger(backfill.concurrency) || backfill.concurrency < 1)) {
    throw invalid(backfill, `concurrency must be a whole number ≥ 1 or unlimited, got ${String(backfill.concurrency)}`);
  }
  if (!REPROCESS_MODES.includes(backfill.reprocess)) {
    throw invalid(backfill, `reprocess must be none, failed or all, got ${JSON.stringify(backfill.reprocess)}`);
  }
  if (!Number.isSafeInteger(backfill.totalRuns) || backfill.totalRuns < 0) {
    throw invalid(backfill, `the total of runs must be a whole number ≥ 0, got ${String(backfill.totalRuns)}`);
  }
  const stray = runs.find((run) => run.pipelineId !== backfill.pipelineId);
  if (stray !== undefined) throw invalid(backfill, `run ${stray.id} belongs to pipeline ${stray.pipelineId}`);
}

export async function createBackfill(
  dialect: Dialect,
  backfill: NewBackfill,
  runs: readonly NewRun[],
  nowMs: number,
): Promise<{ backfill: BackfillRecord; runs: CreatedRun[] }> {
  validateBackfill(backfill, runs);
  return transactionWithBatchedWrites(dialect, async (tx) => {
    try {
      await tx.run(INSERT_BACKFILL, [
        backfill.id,
        backfill.pipelineId,
        backfill.fromMs,
        backfill.toMs,
        backfill.concurrency,
        backfill.reprocess,
        nowMs,
        backfill.totalRuns,
      ]);
    } catch (error) {
      throw explainInsertBackfillError(dialect, backfill, error);
    }
    const created = await insertRuns(dialect, tx, runs, nowMs, backfill.id);
    const row = await tx.get<BackfillRow>(GET_BACKFILL, [backfill.id]);
    if (row === undefined) throw new Error(`backfill ${backfill.id} vanished inside its own transaction`);
    return { backfill: toBackfillRecord(row), runs: created };
  });
}

function explainInsertBackfillError(dialect: Dialect, backfill: NewBackfill, error: unknown): unknown {
  const kind = dialect.classifyError(error);
  if (kind === "foreign_key_violation") {
    return new WeirError("pipeline_unknown", `Cannot create backfill ${backfill.id}: pipeline ${backfill.pipelineId} is not registered.`, {
      where: { pipeline: backfill.pipelineId },
      cause: error,
    });
  }
  if (kind === "unique_violation") {
    return new WeirError("backfill_conflict", `Cannot create backfill ${backfill.id}: a backfill with this id exists.`, {
      where: { pipeline: backfill.pipelineId },
      cause: error,
    });
  }
  return error;
}

export async function getBackfill(session: SqlSession, backfillId: string): Promise<BackfillRecord | null> {
  const row = await session.get<BackfillRow>(GET_BACKFILL, [backfillId]);
  return row === undefined ? null : toBackfillRecord(row);
}

export async function listBackfills(session: SqlSession, filter: BackfillFilter): Promise<BackfillRecord[]> {
  const states = filter.states ?? [];
  const params: SqlParam[] = [];
  if (filter.pipelineId !== undefined) params.push(filter.pipelineId);
  params.push(...states);
  const rows = await session.all<BackfillRow>(listBackfillsSql(filter.pipelineId !== undefined, states.length), params);
  return rows.map(toBackfillRecord);
}

export async function setBackfillState(
  session: SqlSession,
  backfillId: string,
  to: BackfillState,
  expectedFrom: BackfillState,
  nowMs: number,
): Promise<boolean> {
  return (await session.run(SET_BACKFILL_STATE, [to, TERMINAL.has(to) ? nowMs : null, backfillId, expectedFrom])) > 0;
}
