// Pipeline deadlines (README "Alerts"): a run not done `deadline.after` after its interval ends gets one
// `deadline_missed` alert through the outbox; the run itself goes on. Checked in the service's pass over
// the active runs only (what the pass reads anyway), and the pass is woken at the next deadline.
import type { PipelineGraph } from "../graph/types.js";
import type { RunRecord, Store } from "../store/types.js";

export class RunDeadlines {
  /** Runs whose miss is recorded (or found recorded): not written again while this process lives. */
  private readonly alerted = new Set<string>();

  constructor(
    private readonly store: Pick<Store, "recordDeadlineMissed">,
    private readonly graphOf: (pipelineId: string, version: string) => Promise<PipelineGraph | null>,
    /** Something was written to the outbox: deliver it. */
    private readonly onRecorded: () => void,
  ) {}

  /**
   * Records the misses among `active` (queued and running runs) and returns when the next deadline not yet
   * passed falls (null: none). The store keys the alert by run, so a restart never sends it twice.
   */
  async check(active: readonly RunRecord[], nowMs: number): Promise<number | null> {
    let nextMs: number | null = null;
    let wrote = false;
    const activeIds = new Set<string>();
    for (const run of active) {
      if (run.state !== "queued" && run.state !== "running") continue;
      // Manual, backfill and event runs are started by someone for intervals long past: each would be
      // "late" at once. A deadline is about a schedule keeping its promise (Airflow's SLA, likewise).
      if (run.trigger !== "scheduled") continue;
      activeIds.add(run.id);
      if (this.alerted.has(run.id)) continue;
      const deadline = (await this.graphOf(run.pipelineId, run.version))?.deadline;
      if (!deadline) continue;
      const dueMs = run.intervalEndMs + deadline.afterMs;
      if (dueMs > nowMs) {
        nextMs = nextMs === null ? dueMs : Math.min(nextMs, dueMs);
        continue;
      }
      if (await this.store.recordDeadlineMissed(run.id, deadline.notify, { afterMs: deadline.afterMs, dueMs, state: run.state }, nowMs)) wrote = true;
      this.alerted.add(run.id);
    }
    // Ended runs can't miss a deadline any more: keep the set as small as the active runs.
    for (const id of this.alerted) if (!activeIds.has(id)) this.alerted.delete(id);
    if (wrote) this.onRecorded();
    return nextMs;
  }
}

/**
 * The runs to check, without a second read of every active run per pass: those the pass read first (but
 * those it has seen end since), and those queued when it started runs (created meanwhile), once each.
 */
export function activeRunsOf(active: readonly RunRecord[], queued: readonly RunRecord[], endedSince: (run: RunRecord) => boolean): RunRecord[] {
  const ids = new Set<string>();
  const runs: RunRecord[] = [];
  for (const run of active) {
    if (endedSince(run)) continue;
    ids.add(run.id);
    runs.push(run);
  }
  for (const run of queued) if (!ids.has(run.id)) runs.push(run);
  return runs;
}
