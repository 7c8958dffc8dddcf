// How a pipeline registry's files resolve to registered pipelines: which file owns each id (the first in
// path order; later ones get a pipeline_duplicate problem), and the change events between two states.
import { relative } from "node:path";
import type { PipelineGraph } from "../graph/types.js";
import type { LoadProblem } from "../worker/protocol.js";
import { comparePipelinePaths } from "./pipeline-files.js";

export type PipelineChangeKind = "loaded" | "updated" | "removed" | "failed";

/**
 * One file's registered pipelines or problems changed.
 * - loaded: a file seen for the first time (at start, or added) that loaded without problems.
 * - updated: a known file's pipelines changed (a new version, a pipeline added or dropped, a duplicate
 *   id taken over from a file that stopped defining it, or its problems cleared).
 * - failed: the file has problems now (`problems`); its last good pipelines stay registered.
 * - removed: the file is gone; `pipelineIds` are the ones it had (another file may define one still).
 */
export interface PipelineChange {
  kind: PipelineChangeKind;
  file: string;
  /** Pipelines registered from this file after the change (for "removed": before). */
  pipelineIds: string[];
  /** Pipelines this file registered before and no longer does (not for "removed"), when any. */
  droppedIds?: string[];
  /** The file's problems now, if there are some. */
  problems?: LoadProblem[];
}

export interface FileState {
  /** The pipelines the file defines: its last load's, plus the last good version of each that failed since. */
  provided: Map<string, PipelineGraph>;
  /** The problems of its last load (in a directory, a module without pipelines is no problem). */
  problems: LoadProblem[];
  /** Loaded fine and defines no pipeline: a module other files may import. */
  helper: boolean;
}

export interface Owner {
  file: string;
  graph: PipelineGraph;
}

export interface Resolution {
  owners: Map<string, Owner>;
  /** pipeline_duplicate and pipeline_save_failed problems, by file. */
  duplicates: Map<string, LoadProblem[]>;
  /** Registered pipeline ids by file. */
  owned: Map<string, string[]>;
}

export const EMPTY: Resolution = { owners: new Map(), duplicates: new Map(), owned: new Map() };

export function resolveOwners(files: Map<string, FileState>): Resolution {
  const owners = new Map<string, Owner>();
  const duplicates = new Map<string, LoadProblem[]>();
  for (const file of [...files.keys()].sort(comparePipelinePaths)) {
    for (const graph of (files.get(file) as FileState).provided.values()) {
      const owner = owners.get(graph.id);
      if (owner === undefined) {
        owners.set(graph.id, { file, graph });
        continue;
      }
      const problem: LoadProblem = { file, pipeline: graph.id, code: "pipeline_duplicate", message: `pipeline id "${graph.id}" is also defined in ${displayPath(owner.file)}` };
      duplicates.set(file, [...(duplicates.get(file) ?? []), problem]);
    }
  }
  return { owners, duplicates, owned: ownedByFile(owners) };
}

export function ownedByFile(owners: Map<string, Owner>): Map<string, string[]> {
  const owned = new Map<string, string[]>();
  for (const [id, owner] of owners) {
    const ids = owned.get(owner.file);
    if (ids) ids.push(id);
    else owned.set(owner.file, [id]);
  }
  return owned;
}

export interface Snapshot {
  files: Map<string, FileState>;
  resolution: Resolution;
}

/** One change per file whose registered versions or problems differ (updated files and files whose duplicates moved). */
export function changesBetween(before: Snapshot, after: Snapshot, updates: Map<string, FileState | null>): PipelineChange[] {
  const touched = new Set<string>(updates.keys());
  for (const [id, owner] of after.resolution.owners) if (before.resolution.owners.get(id)?.file !== owner.file) touched.add(owner.file);
  for (const [id, owner] of before.resolution.owners) if (after.resolution.owners.get(id)?.file !== owner.file) touched.add(owner.file);
  for (const file of after.resolution.duplicates.keys()) touched.add(file);
  for (const file of before.resolution.duplicates.keys()) touched.add(file);

  const changes: PipelineChange[] = [];
  for (const file of [...touched].sort(comparePipelinePaths)) {
    const was = summary(before, file);
    const now = summary(after, file);
    if (was === null && now === null) continue;
    if (now === null) {
      const had = was as FileSummary;
      if (had.ids.length === 0 && had.problems.length === 0) continue; // a helper module
      changes.push({ kind: "removed", file, pipelineIds: had.ids });
      continue;
    }
    if (was !== null && was.key === now.key) continue;
    if (was === null && now.ids.length === 0 && now.problems.length === 0) continue; // a new helper module
    const kind: PipelineChangeKind = now.problems.length > 0 ? "failed" : was === null ? "loaded" : "updated";
    const change: PipelineChange = { kind, file, pipelineIds: now.ids };
    const dropped = (was?.ids ?? []).filter((id) => !now.ids.includes(id));
    if (dropped.length > 0) change.droppedIds = dropped;
    if (now.problems.length > 0) change.problems = now.problems;
    changes.push(change);
  }
  return changes;
}

interface FileSummary {
  ids: string[];
  problems: LoadProblem[];
  /** Compares two summaries: registered versions and problems. */
  key: string;
}

function summary(snapshot: Snapshot, file: string): FileSummary | null {
  const state = snapshot.files.get(file);
  if (!state) return null;
  const ids = snapshot.resolution.owned.get(file) ?? [];
  const problems = [...state.problems, ...(snapshot.resolution.duplicates.get(file) ?? [])];
  const versions = ids.map((id) => `${id}@${snapshot.resolution.owners.get(id)?.graph.version ?? ""}`);
  return { ids, problems, key: JSON.stringify([versions, problems]) };
}

export function displayPath(path: string): string {
  return relative(process.cwd(), path) || path;
}
