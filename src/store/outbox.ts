// Outbox verbs: the notify actions of a decision become rows in the decision's own transaction; the
// scheduler reads what is pending after the commit, delivers it, and marks it done.
import { randomBytes } from "node:crypto";
import type { EngineAction } from "../engine/types.js";
import type { SqlSession, SqlTransaction } from "./dialect.js";
import { INSERT_OUTBOX, LIST_PENDING_OUTBOX, MARK_OUTBOX_DONE } from "./sql/outbox.js";
import type { OutboxRecord } from "./types.js";

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
    const payload = JSON.parse(row.payload_json) as NotifyAction & { atMs: number };
    return {
      id: row.id,
      runId: row.run_id,
      pipelineId: row.pipeline_id,
      logicalDateMs: Number(row.logical_date_ms),
      createdMs: Number(row.created_ms),
      action: { kind: "notify", event: payload.event, notifiers: payload.notifiers, ...(payload.taskId === undefined ? {} : { taskId: payload.taskId, mapIndex: payload.mapIndex ?? -1, tryNumber: payload.tryNumber ?? 0 }), ...(payload.error ? { error: payload.error } : {}) },
    };
  });
}

export async function markNotificationDone(session: SqlSession, id: string, nowMs: number, attempts: number, error: string | null): Promise<void> {
  await session.run(MARK_OUTBOX_DONE, [nowMs, attempts, error, id]);
}
