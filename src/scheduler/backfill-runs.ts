// A backfill's life as the scheduler service sees it: its runs canceled with it, its end once none is open.
import type { BackfillState, Store } from "../store/types.js";

/** Canceled backfills: their running runs (those this service drives) are canceled too. */
export async function cancelBackfilledRuns(store: Store, drivingBackfill: ReadonlyMap<string, ReadonlySet<string>>, cancelRun: (runId: string, reason: string) => void): Promise<void> {
  for (const [backfillId, runIds] of drivingBackfill) {
    if (runIds.size === 0) continue;
    const backfill = await store.getBackfill(backfillId);
    if (backfill?.state !== "canceled") continue;
    for (const runId of runIds) cancelRun(runId, "its backfill was canceled");
  }
}

/** A backfill ends when none of its runs is queued or running: failed if any failed. Returns the state it moved to, if it did. */
export async function finishBackfill(store: Store, backfillId: string, nowMs: () => number): Promise<BackfillState | null> {
  const backfill = await store.getBackfill(backfillId);
  if (backfill?.state !== "running") return null;
  const open = await store.listRuns({ backfillId, states: ["queued", "running"], limit: 1 });
  if (open.length > 0) return null;
  const failed = await store.listRuns({ backfillId, states: ["failed", "canceled"], limit: 1 });
  const to = failed.length > 0 ? "failed" : "success";
  return (await store.setBackfillState(backfillId, to, "running", nowMs())) ? to : null;
}
