// The run document of DESIGN.md §4 (fixed shape): what `weir run --json`, `weir tasks --json` and the
// API return for a run. Built from store records only.
import type { RunRecord, TaskInstanceRecord } from "./types.js";

export interface RunDocument {
  run: { id: string; pipeline: string; state: string; logicalDate: string; startedAt: string | null; endedAt: string | null };
  tasks: { id: string; mapIndex: number; state: string; tries: number; cached: boolean; startedAt: string | null; endedAt: string | null }[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toRunDocument(run: RunRecord, instances: readonly TaskInstanceRecord[], order?: readonly string[]): RunDocument {
  const rank = new Map((order ?? []).map((id, i) => [id, i]));
  const sorted = [...instances].sort((a, b) => (rank.get(a.taskId) ?? 0) - (rank.get(b.taskId) ?? 0) || a.mapIndex - b.mapIndex);
  return {
    run: {
      id: run.id,
      pipeline: run.pipelineId,
      state: run.state,
      logicalDate: new Date(run.logicalDateMs).toISOString(),
      startedAt: iso(run.startedMs),
      endedAt: iso(run.endedMs),
    },
    tasks: sorted.map((i) => ({
      id: i.taskId,
      mapIndex: i.mapIndex,
      state: i.state,
      tries: i.tryNumber,
      cached: i.cached,
      startedAt: iso(i.startedMs),
      endedAt: iso(i.endedMs),
    })),
  };
}
