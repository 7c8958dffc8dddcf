// Large outputs between machines that share no disk (docs/distributed.md, "Artifacts"): each machine keeps
// objects in its own WEIR_HOME/artifacts, and the store is the meeting point. A worker copies the object of
// an output into the store before it reports the success (so a committed success always has its object
// where every machine can reach it), and copies in the objects of a try's inputs it lacks before the try
// runs; the scheduler copies in the object of a result it may have to read itself (a map source).
import { parseArtifactRef } from "../../artifacts/reference.js";
import type { LocalArtifactStore } from "../../artifacts/local-store.js";
import type { SharedArtifactStore } from "../../store/shared-artifacts.js";
import type { TryJob, TryResult } from "../../worker/protocol.js";

/** The digest of a success's artifact output, or null. */
function outputDigest(result: TryResult): string | null {
  return result.outcome === "success" ? (parseArtifactRef(result.output)?.digest ?? null) : null;
}

/** Copies the object of a success's output from this machine's disk into the store (a no-op when it is there). */
export async function shareOutput(result: TryResult, local: LocalArtifactStore, shared: SharedArtifactStore, nowMs: number): Promise<void> {
  const digest = outputDigest(result);
  if (digest === null || (await shared.has(digest))) return;
  await shared.put(digest, await local.get(digest), nowMs);
}

/** Copies the objects a try's inputs and item refer to into this machine's disk, from the store, where missing. */
export async function fetchInputs(job: TryJob, local: LocalArtifactStore, shared: SharedArtifactStore): Promise<void> {
  const refs = [...Object.entries(job.inputs), ...(job.item === undefined ? [] : [["item", job.item] as const])];
  for (const [name, encoded] of refs) {
    const ref = parseArtifactRef(encoded);
    if (ref !== null && !(await copyIn(ref.digest, local, shared))) {
      throw new Error(`input ${name} is artifact sha256:${ref.digest}, which is neither in ${local.dir} nor in the store (pruned, or written by a worker of an older Weir)`);
    }
  }
}

/** Copies a success's output object into this machine's disk from the store, where missing; false when the store lacks it too. */
export async function fetchOutput(result: TryResult, local: LocalArtifactStore, shared: SharedArtifactStore): Promise<boolean> {
  const digest = outputDigest(result);
  return digest === null || copyIn(digest, local, shared);
}

/** Makes sure this machine's disk has the object, copying it from the store if not; false when neither has it. */
async function copyIn(digest: string, local: LocalArtifactStore, shared: SharedArtifactStore): Promise<boolean> {
  if (await local.has(digest)) return true;
  const data = await shared.get(digest);
  if (data === null) return false;
  local.putSync(data);
  return true;
}
