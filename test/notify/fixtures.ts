// Notifications and a recording sleep shared by the notify tests.
import type { Notification } from "../../src/notify/index.js";

export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: "task_failed",
    pipelineId: "etl_daily",
    runId: "manual_2025-09-03T10-00-00_ab12",
    taskId: "load",
    tryNumber: 3,
    logicalDate: "2025-09-03T00:00:00.000Z",
    error: { name: "Error", message: "connection refused by warehouse" },
    link: "http://weir.example/runs/manual_2025-09-03T10-00-00_ab12",
    at: "2025-09-03T10:05:00.000Z",
    ...overrides,
  };
}

/** A sleep that returns at once and records what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}
