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

export interface NewBackfill {
  id: string;
  pipelineId: string;
  fromMs: number;
  toMs: number;
  concurrency: number | null;
  reprocess: ReprocessMode;
  totalRuns: number;
}

export interface BackfillFilter {
  pipelineId?: string;
  /** Any of these states; an empty list means no filter. */
  states?: readonly BackfillState[];
}
