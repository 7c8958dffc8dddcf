// The closing line of a run: its outcome, duration and task counts; failed tasks named with their error.
import { formatDuration } from "../../define/duration.js";
import type { RunRecord, TaskInstanceRecord } from "../../store/types.js";

export function summarizeRun(run: RunRecord, instances: readonly TaskInstanceRecord[]): string {
  const counts = new Map<string, number>();
  for (const i of instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const tally = [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
  const took = run.startedMs !== null && run.endedMs !== null ? ` in ${formatDuration(run.endedMs - run.startedMs)}` : "";
  const failed = instances.filter((i) => i.state === "failed").map((i) => i.taskId);
  const hint = failed.length > 0 ? `\n  failed: ${failed.join(", ")} — see \`weir logs ${run.id} ${failed[0]}\`` : "";
  return `weir: run ${run.id} ${run.state}${took} (${tally})${hint}`;
}
