// `weir artifacts prune --older-than 30d`: deletes the artifacts (large task outputs, docs/artifacts.md)
// that only runs created longer ago than the age reference, then their references; also objects no
// committed try references (a crash between writing and committing) older than the age, and stale temp files.
import { WeirError } from "../../common/errors.js";
import { parseDuration } from "../../define/duration.js";
import { artifactsDir, LocalArtifactStore } from "../../artifacts/local-store.js";
import { openStore } from "../../store/open-store.js";
import { SqlStore } from "../../store/sql-store.js";
import { resolveConfig } from "../config.js";
import { printJson, say } from "../output.js";

export interface PruneOptions {
  olderThan?: string;
  dryRun?: boolean;
  json?: boolean;
}

export async function artifactsPruneCommand(options: PruneOptions): Promise<void> {
  if (options.olderThan === undefined) throw new WeirError("option_missing", "weir artifacts prune needs --older-than <age>, e.g. 30d");
  let ageMs: number;
  try {
    ageMs = parseDuration(options.olderThan as `${number}d`, "--older-than");
  } catch (error) {
    throw new WeirError("duration_invalid", (error as Error).message);
  }
  const config = resolveConfig();
  const cutoffMs = Date.now() - ageMs;
  const artifacts = new LocalArtifactStore(artifactsDir(config.home));
  const store = await openStore(config.databaseUrl, config.home);
  const shared = store instanceof SqlStore ? store.sharedArtifacts : null;
  let deleted = 0;
  let bytes = 0;
  try {
    await store.migrate();
    for (const artifact of await store.prunableArtifacts(cutoffMs)) {
      if (!options.dryRun) {
        // The object goes first: a crash in between leaves a reference to a missing object (reported clearly
        // when read), never an object nobody can find.
        await artifacts.delete(artifact.digest);
        await shared?.delete(artifact.digest);
        await store.forgetArtifact(artifact.digest);
      }
      deleted++;
      bytes += artifact.bytes;
    }
    const referenced = await store.referencedArtifacts();
    const orphans = new Set<string>();
    for await (const info of artifacts.list()) {
      if (referenced.has(info.digest) || info.modifiedMs >= cutoffMs) continue;
      if (!options.dryRun) await artifacts.delete(info.digest);
      orphans.add(info.digest);
      deleted++;
      bytes += info.size;
    }
    // Copies workers shared through the store (docs/distributed.md) that no committed try references.
    for (const info of (await shared?.list()) ?? []) {
      if (referenced.has(info.digest) || info.createdMs >= cutoffMs) continue;
      if (!options.dryRun) await shared?.delete(info.digest);
      if (orphans.has(info.digest)) continue; // counted once, with its copy on this disk
      deleted++;
      bytes += info.bytes;
    }
    if (!options.dryRun) await artifacts.removeStaleTemps(cutoffMs);
  } finally {
    await store.close();
  }
  if (options.json) printJson({ deleted, bytes, olderThan: options.olderThan, dryRun: Boolean(options.dryRun) });
  else say(`weir: ${options.dryRun ? "would delete" : "deleted"} ${deleted} artifact${deleted === 1 ? "" : "s"} (${bytes} bytes) referenced only by runs older than ${options.olderThan}`);
}
