// Outbox verbs: the notify actions of a decision become rows in the decision's own transaction; the
// scheduler reads what is pending after the commit, delivers it, and marks it done.
import { randomBytes } from "node:crypto";
import type { EngineAction } from "../engine/types.js";
import type { SqlSession, SqlTransaction } from "./dialect.js";
import { INSERT_OUTBOX, LIST_PENDING_OUTBOX, MARK_OUTBOX_DONE } from "./sql/outbox.js";
import { INSERT_DEADLINE_MISSED } from "./sql/deadlines.js";
import type { DeadlineMissed, OutboxRecord } from "./types.js";

type NotifyAction = Extract<EngineAction, { kind: "notify" }>;

export async function writeNotifications(tx: SqlTransaction, runId: string, actions: readonly EngineAction[], nowMs: number): Promise<void> {
  for (const action of actions) {
    if (action.kind !== "notify") continue;
    await tx.run(INSERT_OUTBOX, [`n_${nowMs.toString(36)}_${randomBytes(6).toString("hex")}`, runId, JSON.stringify({ ...action, atMs: nowMs }), nowMs]);
  }
}

interface OutboxRow {
  id: string;
  run_id: string;
  payload_json: string;
  created_ms: number;
  pipeline_id: string;
  logical_date_ms: number;
}

export async function pendingNotifications(session: SqlSession, limit: number): Promise<OutboxRecord[]> {
  const rows = await session.all<OutboxRow & Record<string, unknown>>(LIST_PENDING_OUTBOX, [limit]);
  return rows.map((row) => {
    const payload = JSON.parse(row.payload_json) as Omit<NotifyAction, "event"> & { event: OutboxRecord["action"]["event"]; atMs: number; deadline?: DeadlineMissed };
    return {
      id: row.id,
      runId: row.run_id,
      pipelineId: row.pipeline_id,
      logicalDateMs: Number(row.logical_date_ms),
      createdMs: Number(row.created_ms),
      action: { kind: "notify", event: payload.event, notifiers: payload.notifiers, ...(payload.taskId === undefined ? {} : { taskId: payload.taskId, mapIndex: payload.mapIndex ?? -1, tryNumber: payload.tryNumber ?? 0 }), ...(payload.error ? { error: payload.error } : {}), ...(payload.deadline ? { deadline: payload.deadline } : {}) },
    };
  });
}

export async function markNotificationDone(session: SqlSession, id: string, nowMs: number, attempts: number, error: string | null): Promise<void> {
  await session.run(MARK_OUTBOX_DONE, [nowMs, attempts, error, id]);
}

/**
 * A run's missed deadline: its outbox row has an id made from the run id, so a second write — after a
 * scheduler restart, or by a second pass — is a no-op and the alert goes out once per run.
 */
export async function recordDeadlineMissed(session: SqlSession, runId: string, notifiers: readonly string[], deadline: DeadlineMissed, nowMs: number): Promise<boolean> {
  const payload = { kind: "notify", event: "deadline_missed", notifiers, deadline, atMs: nowMs };
  return (await session.run(INSERT_DEADLINE_MISSED, [`deadline_${runId}`, runId, JSON.stringify(payload), nowMs])) > 0;
}
