// Which queued runs the scheduler service starts in a pass, within each pipeline's maxActiveRuns and each
// backfill's concurrency, and claiming them (run owner) before the coordinator drives them.
import type { PipelineGraph } from "../graph/types.js";
import type { RunRecord, Store } from "../store/types.js";

export interface QueuedRunStarter {
  store: Store;
  /** The service's owner id, written on the runs it starts. */
  owner: string;
  paused: ReadonlySet<string>;
  /** Runs the service drives, by pipeline and by backfill: what maxActiveRuns and a backfill's concurrency count. */
  driving: ReadonlyMap<string, ReadonlySet<string>>;
  drivingBackfill: ReadonlyMap<string, ReadonlySet<string>>;
  /** A run another live process drives (a foreground `weir run`). */
  drivenElsewhere(owner: string | null): boolean;
  graphOf(pipelineId: string, version: string): Promise<PipelineGraph | null>;
  /** A queued run of a canceled backfill: ended without starting. */
  cancel(run: RunRecord, graph: PipelineGraph): void;
  /** A run claimed for this service: drive it. */
  start(run: RunRecord, graph: PipelineGraph): void;
}

/**
 * Queued runs start oldest first, while their pipeline has fewer than maxActiveRuns running and their
 * backfill (if any) fewer than its concurrency. A run that can't start doesn't hold up the others, so
 * a large backfill never stops other pipelines' scheduled runs from starting.
 */
export async function startQueuedRuns(starter: QueuedRunStarter): Promise<{ queued: RunRecord[]; started: number }> {
  const { store, driving, drivingBackfill } = starter;
  const queued = (await store.listRuns({ states: ["queued"], limit: 10_000 })).sort((a, b) => a.createdMs - b.createdMs || a.logicalDateMs - b.logicalDateMs);
  const backfills = new Map<string, { concurrency: number | null; state: string } | null>();
  // Chosen first and claimed in one transaction: a minute's thousand runs start together, not one write each.
  const chosen: { run: RunRecord; graph: PipelineGraph }[] = [];
  const morePerPipeline = new Map<string, number>();
  const morePerBackfill = new Map<string, number>();
  for (const run of queued) {
    // Started in an earlier pass but not yet committed running: don't start it twice.
    if (driving.get(run.pipelineId)?.has(run.id)) continue;
    if (starter.paused.has(run.pipelineId) && run.trigger === "scheduled") continue;
    // A foreground `weir run` drives its own run.
    if (starter.drivenElsewhere(run.owner)) continue;
    const graph = await starter.graphOf(run.pipelineId, run.version);
    if (!graph) continue;
    if (run.backfillId !== null) {
      if (!backfills.has(run.backfillId)) backfills.set(run.backfillId, await store.getBackfill(run.backfillId));
      const backfill = backfills.get(run.backfillId);
      if (backfill?.state === "canceled") {
        starter.cancel(run, graph);
        continue;
      }
      const limit = backfill?.concurrency ?? null;
      if (limit !== null && (drivingBackfill.get(run.backfillId)?.size ?? 0) + (morePerBackfill.get(run.backfillId) ?? 0) >= limit) continue;
      morePerBackfill.set(run.backfillId, (morePerBackfill.get(run.backfillId) ?? 0) + 1);
    }
    const active = (driving.get(run.pipelineId)?.size ?? 0) + (morePerPipeline.get(run.pipelineId) ?? 0);
    if (active >= graph.maxActiveRuns) continue;
    morePerPipeline.set(run.pipelineId, (morePerPipeline.get(run.pipelineId) ?? 0) + 1);
    chosen.push({ run, graph });
  }
  // Owned by this scheduler while it drives them: another process won't take them over while we live.
  let started = 0;
  const claimed = new Set(await store.claimUnownedRuns(chosen.filter((c) => c.run.owner === null).map((c) => c.run.id), starter.owner));
  for (const { run, graph } of chosen) {
    if (run.owner === null ? !claimed.has(run.id) : !(await store.setRunOwner(run.id, starter.owner, run.owner))) continue;
    starter.start(run, graph);
    started++;
  }
  return { queued, started };
}
