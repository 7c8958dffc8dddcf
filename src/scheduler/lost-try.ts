// The failure recorded for a try whose worker is gone: the process that ran it died (kill -9, a crash)
// before it reported. Execution is at least once: the try is retried per the task's policy.
import type { TaskFailure } from "../engine/types.js";

export function lostTryFailure(detail: string): TaskFailure {
  return {
    name: "TryLostError",
    message: `the try was lost: ${detail}`,
    retryable: true,
    kind: "lost",
  };
}
