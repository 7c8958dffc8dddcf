// How the pipeline registry (pipeline-registry.ts) saves the versions that become current: each before it
// is current, or, for a standby's registry (`holdSaves`), all at once when its scheduler takes the lease.
import type { LoadProblem } from "../worker/protocol.js";
import type { Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import type { FileState, Resolution } from "./registry-resolution.js";

type Saver = Pick<Store, "savePipelineVersion">;

/**
 * Saves every version `next` makes current that `before` hadn't. One that fails to save doesn't become
 * current (`next` is changed: the one before stays, if its file does) and its file gets `pipeline_save_failed`;
 * `strict` (the start): a failed save rejects instead.
 */
export async function saveNewVersions(store: Saver, clock: Pick<Clock, "now">, before: Resolution, next: Resolution, files: ReadonlyMap<string, FileState>, strict: boolean): Promise<void> {
  for (const [id, owner] of [...next.owners]) {
    const current = before.owners.get(id);
    if (current?.graph.version === owner.graph.version && current.file === owner.file) continue;
    try {
      await store.savePipelineVersion(owner.graph, clock.now());
    } catch (error) {
      if (strict) throw error;
      if (current && files.has(current.file)) next.owners.set(id, current);
      else next.owners.delete(id);
      const problem: LoadProblem = { file: owner.file, pipeline: id, code: "pipeline_save_failed", message: `saving version ${owner.graph.version} failed: ${(error as Error).message}` };
      next.duplicates.set(owner.file, [...(next.duplicates.get(owner.file) ?? []), problem]);
    }
  }
}

/**
 * Saves each current version the store doesn't have as its pipeline's current one (`saved`: the store's
 * heads by id; the scheduler that held the lease before usually saved the same files' versions already).
 * Rejects on the first failed save. Returns how many were saved.
 */
export async function saveUnsaved(store: Saver, clock: Pick<Clock, "now">, current: Resolution, saved: ReadonlyMap<string, { version: string; file: string }>): Promise<number> {
  let count = 0;
  for (const { graph } of current.owners.values()) {
    const head = saved.get(graph.id);
    if (head?.version === graph.version && head.file === graph.file) continue;
    await store.savePipelineVersion(graph, clock.now());
    count++;
  }
  return count;
}
