// Caching, artifact references and sub-pipeline links (migration 0005): the store verbs behind
// docs/caching.md and docs/artifacts.md. The writes that belong to a decision (a try's cache key, a cached
// success, an artifact reference) are in apply-decisions.ts; these are the lookups and the housekeeping.
import type { SqlSession, SqlTransaction } from "./dialect.js";
import { toCount } from "./records.js";
import {
  DELETE_ARTIFACT_REFS,
  FIND_CACHED_TRY,
  GET_PARENT_OF_RUN,
  GET_RUN_NO_CACHE,
  INSERT_ARTIFACT_REF,
  INSERT_RUN_SETTINGS,
  INSERT_SUB_RUN,
  LIST_REFERENCED_DIGESTS,
  LIST_SUB_RUNS,
  PRUNABLE_ARTIFACTS,
} from "./sql/cache-artifacts.js";
import { parseArtifactRef } from "../artifacts/reference.js";
import type { CachedTry, PrunableArtifact, SubRunLink } from "./cache-types.js";

export async function findCachedTry(session: SqlSession, cacheKey: string, notBeforeMs: number): Promise<CachedTry | null> {
  const row = await session.get<{ run_id: string; task_id: string; map_index: unknown; try_number: unknown; output: string | null; ended_ms: unknown }>(FIND_CACHED_TRY, [cacheKey, notBeforeMs]);
  if (row === undefined) return null;
  return { runId: row.run_id, taskId: row.task_id, mapIndex: toCount(row.map_index), tryNumber: toCount(row.try_number), output: row.output, endedMs: toCount(row.ended_ms) };
}

export async function setRunNoCache(session: SqlSession, runId: string, noCache: boolean): Promise<void> {
  await session.run(INSERT_RUN_SETTINGS, [runId, noCache ? 1 : 0]);
}

export async function isRunNoCache(session: SqlSession, runId: string): Promise<boolean> {
  const row = await session.get<{ no_cache: unknown }>(GET_RUN_NO_CACHE, [runId]);
  return row !== undefined && toCount(row.no_cache) !== 0;
}

/** Inside a decision: a successful try whose output is an artifact reference is recorded as one. */
export async function recordArtifactRef(tx: SqlTransaction, runId: string, taskId: string, mapIndex: number, tryNumber: number, output: string, nowMs: number): Promise<void> {
  const ref = parseArtifactRef(output);
  if (ref === null) return;
  await tx.run(INSERT_ARTIFACT_REF, [runId, taskId, mapIndex, tryNumber, ref.digest, ref.size, nowMs]);
}

/** Digests referenced only by runs created before `createdBeforeMs`. */
export async function prunableArtifacts(session: SqlSession, createdBeforeMs: number): Promise<PrunableArtifact[]> {
  const rows = await session.all<{ digest: string; bytes: unknown }>(PRUNABLE_ARTIFACTS, [createdBeforeMs]);
  return rows.map((r) => ({ digest: r.digest, bytes: toCount(r.bytes) }));
}

export async function forgetArtifact(session: SqlSession, digest: string): Promise<void> {
  await session.run(DELETE_ARTIFACT_REFS, [digest]);
}

export async function referencedArtifacts(session: SqlSession): Promise<Set<string>> {
  const rows = await session.all<{ digest: string }>(LIST_REFERENCED_DIGESTS);
  return new Set(rows.map((r) => r.digest));
}

export async function linkSubRun(session: SqlSession, link: SubRunLink): Promise<void> {
  await session.run(INSERT_SUB_RUN, [link.childRunId, link.parentRunId, link.parentTaskId, link.parentMapIndex, link.parentTryNumber, link.createdMs]);
}

type SubRunRow = { child_run_id: string; parent_run_id: string; parent_task_id: string; parent_map_index: unknown; parent_try_number: unknown; created_ms: unknown };

function toSubRunLink(row: SubRunRow): SubRunLink {
  return {
    childRunId: row.child_run_id,
    parentRunId: row.parent_run_id,
    parentTaskId: row.parent_task_id,
    parentMapIndex: Number(row.parent_map_index),
    parentTryNumber: toCount(row.parent_try_number),
    createdMs: toCount(row.created_ms),
  };
}

export async function listSubRuns(session: SqlSession, parentRunId: string): Promise<SubRunLink[]> {
  return (await session.all<SubRunRow>(LIST_SUB_RUNS, [parentRunId])).map(toSubRunLink);
}

export async function getParentRun(session: SqlSession, childRunId: string): Promise<SubRunLink | null> {
  const row = await session.get<SubRunRow>(GET_PARENT_OF_RUN, [childRunId]);
  return row === undefined ? null : toSubRunLink(row);
}
