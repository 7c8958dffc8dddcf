// The failures the worker and the pool both report for a try they stopped, worded once so a timeout
// reads the same whether the task stopped on its signal or its worker had to be killed.
import type { TaskFailure } from "../engine/types.js";
import type { TryJob } from "./protocol.js";

export function abortFailure(job: Pick<TryJob, "taskId" | "timeoutMs">, reason: "timeout" | "canceled"): TaskFailure {
  if (reason === "timeout") return { name: "TaskTimeoutError", message: timeoutMessage(job), kind: "timeout", retryable: true };
  return { name: "TaskCanceledError", message: `task ${job.taskId} was canceled`, kind: "canceled", retryable: false };
}

export function timeoutMessage(job: Pick<TryJob, "taskId" | "timeoutMs">): string {
  return `task ${job.taskId} timed out after ${formatTimeout(job.timeoutMs ?? 0)}`;
}

/** 5s, 1.5s, 250ms, 2m, 1h: short and exact for the durations people configure. */
function formatTimeout(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms}ms`;
}
