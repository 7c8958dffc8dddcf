// The records of backfills (store/backfills.ts): a range of logical dates run again, with its own concurrency.
import type { ReprocessMode } from "../time/index.js";

export type BackfillState = "running" | "success" | "failed" | "canceled";

export interface BackfillRecord {
  id: string;
  pipelineId: string;
  /** First and last logical date of the range, both inclusive. */
  fromMs: number;
  toMs: number;
  /** At most this many of its runs running at once; null: unlimited. */
  concurrency: number | null;
  reprocess: ReprocessMode;
  state: BackfillState;
  createdMs: number;
  /** Set when the backfill reaches success, failed or canceled. */
  endedMs: number | null;
  /** How many runs the backfill created. */
  totalRuns: number;
}

/** What creating a backfill records (its state, creation and end times are the store's). */
export type NewBackfill = Pick<BackfillRecord, "id" | "pipelineId" | "fromMs" | "toMs" | "concurrency" | "reprocess" | "totalRuns">;

export interface BackfillFilter {
  pipelineId?: string;
  /** Any of these states; an empty list means no filter. */
  states?: readonly BackfillState[];
}
