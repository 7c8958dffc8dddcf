// Run request verbs: `weir server` asks, the scheduler driving the run answers (migration 0004).
import type { EngineEvent } from "../engine/types.js";
import type { SqlSession } from "./dialect.js";
import { toNumberOrNull } from "./records.js";
import { FINISH_RUN_REQUEST, GET_RUN_REQUEST, INSERT_RUN_REQUEST, PENDING_RUN_REQUESTS } from "./sql/requests.js";
import type { RunRequestRecord } from "./types.js";

interface RunRequestRow extends Record<string, unknown> {
  id: string;
  run_id: string;
  event_json: string;
  state: string;
  message: string | null;
  created_ms: unknown;
  done_ms: unknown;
}

function toRecord(row: RunRequestRow): RunRequestRecord {
  return {
    id: row.id,
    runId: row.run_id,
    event: JSON.parse(row.event_json) as EngineEvent,
    state: row.state as RunRequestRecord["state"],
    message: row.message,
    createdMs: Number(row.created_ms),
    doneMs: toNumberOrNull(row.done_ms),
  };
}

export async function submitRunRequest(session: SqlSession, request: { id: string; runId: string; event: EngineEvent }, nowMs: number): Promise<void> {
  await session.run(INSERT_RUN_REQUEST, [request.id, request.runId, JSON.stringify(request.event), nowMs]);
}

export async function pendingRunRequests(session: SqlSession, limit: number): Promise<RunRequestRecord[]> {
  return (await session.all<RunRequestRow>(PENDING_RUN_REQUESTS, [limit])).map(toRecord);
}

export async function getRunRequest(session: SqlSession, id: string): Promise<RunRequestRecord | null> {
  const row = await session.get<RunRequestRow>(GET_RUN_REQUEST, [id]);
  return row === undefined ? null : toRecord(row);
}

export async function finishRunRequest(session: SqlSession, id: string, state: "done" | "refused", message: string | null, nowMs: number): Promise<boolean> {
  return (await session.run(FINISH_RUN_REQUEST, [state, message, nowMs, id])) > 0;
}
