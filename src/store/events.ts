// Event and completion-trigger verbs (migration 0006, docs/events.md). An event is recorded (committed)
// before it is acknowledged; a subscribing pipeline's delivery row and the run it starts commit together,
// so a crash between recording an event and starting its run loses nothing and starts nothing twice.
import { WeirError } from "../common/errors.js";
import { insertRuns } from "./create-runs.js";
import type { Dialect, SqlTransaction } from "./dialect.js";
import { toRunRecord, type RunRow } from "./records.js";
import {
  DELIVERIES_OF_RUN,
  deliveriesOfEventsSql,
  GET_EVENT,
  INSERT_CONSUMPTION,
  INSERT_DELIVERY,
  INSERT_EVENT,
  listEventsSql,
  pendingEventsSql,
  pendingUpstreamRunsSql,
  PIPELINE_FIRST_REGISTERED,
  RUN_AT_LOGICAL_DATE,
  successfulRunsAtSql,
} from "./sql/events.js";
import type { EventDelivery, EventFilter, EventOutcome, EventRecord, EventStore, NewDelivery, NewEvent } from "./event-types.js";
import type { NewRun, RunRecord } from "./types.js";

interface EventRow extends Record<string, unknown> {
  id: string;
  name: string;
  payload_json: string;
  received_ms: unknown;
}

interface DeliveryRow extends Record<string, unknown> {
  event_id: string;
  pipeline_id: string;
  outcome: string;
  run_id: string | null;
  reason: string | null;
  done_ms: unknown;
}

/** Rolls a transaction back without it being an error of the store. */
class AlreadyDone extends Error {}

export class SqlEvents implements EventStore<NewRun, RunRecord> {
  constructor(private readonly db: Dialect) {}

  async recordEvent(event: NewEvent, nowMs: number): Promise<EventRecord> {
    let json: string | undefined;
    try {
      json = JSON.stringify(event.payload);
    } catch (error) {
      throw new WeirError("event_payload_invalid", `the payload of event ${event.name} is not JSON: ${(error as Error).message}`);
    }
    if (json === undefined) throw new WeirError("event_payload_invalid", `the payload of event ${event.name} is not JSON`);
    await this.db.session.run(INSERT_EVENT, [event.id, event.name, json, nowMs]);
    return { id: event.id, name: event.name, payload: JSON.parse(json) as unknown, receivedMs: nowMs, deliveries: [] };
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    const row = await this.db.session.get<EventRow>(GET_EVENT, [id]);
    if (row === undefined) return null;
    return (await this.withDeliveries([row]))[0] ?? null;
  }

  async listEvents(filter: EventFilter): Promise<EventRecord[]> {
    const { sql, params } = listEventsSql(filter);
    return this.withDeliveries(await this.db.session.all<EventRow>(sql, params));
  }

  async eventsOfRun(runId: string): Promise<EventDelivery[]> {
    return (await this.db.session.all<DeliveryRow>(DELIVERIES_OF_RUN, [runId])).map(toDelivery);
  }

  async pipelineFirstRegisteredMs(pipelineId: string): Promise<number | null> {
    const row = await this.db.session.get<{ first_ms: unknown }>(PIPELINE_FIRST_REGISTERED, [pipelineId]);
    return row === undefined || row.first_ms === null ? null : Number(row.first_ms);
  }

  async pendingEvents(pipelineId: string, names: readonly string[], sinceMs: number, limit: number): Promise<EventRecord[]> {
    if (names.length === 0) return [];
    const rows = await this.db.session.all<EventRow>(pendingEventsSql(names.length), [...names, sinceMs, pipelineId, limit]);
    return rows.map((row) => toEvent(row, []));
  }

  async deliverEvents(pipelineId: string, deliveries: readonly NewDelivery[], run: NewRun | null, nowMs: number): Promise<{ delivered: boolean; runId: string | null }> {
    try {
      return await this.db.transaction(async (tx) => {
        let runId: string | null = null;
        if (run !== null) {
          const unique = { ...run, logicalDateMs: await freeLogicalDate(tx, run.pipelineId, run.logicalDateMs) };
          unique.intervalStartMs = Math.min(unique.intervalStartMs, unique.logicalDateMs);
          unique.intervalEndMs = Math.max(unique.intervalEndMs, unique.logicalDateMs);
          runId = (await insertRuns(this.db, tx, [unique], nowMs))[0]?.id ?? null;
        }
        for (const delivery of deliveries) {
          const linked = delivery.outcome === "rejected" ? null : runId;
          const inserted = await tx.run(INSERT_DELIVERY, [delivery.eventId, pipelineId, delivery.outcome, linked, delivery.reason ?? null, nowMs]);
          if (inserted === 0) throw new AlreadyDone();
        }
        return { delivered: true, runId };
      });
    } catch (error) {
      if (error instanceof AlreadyDone) return { delivered: false, runId: null };
      throw error;
    }
  }

  async pendingUpstreamRuns(pipelineId: string, upstreams: readonly string[], sinceMs: number, limit: number): Promise<RunRecord[]> {
    if (upstreams.length === 0) return [];
    const rows = await this.db.session.all<RunRow>(pendingUpstreamRunsSql(upstreams.length), [...upstreams, sinceMs, pipelineId, limit]);
    return rows.map(toRunRecord);
  }

  async successfulRunsAt(pipelineIds: readonly string[], logicalDateMs: number): Promise<RunRecord[]> {
    if (pipelineIds.length === 0) return [];
    return (await this.db.session.all<RunRow>(successfulRunsAtSql(pipelineIds.length), [...pipelineIds, logicalDateMs])).map(toRunRecord);
  }

  async consumeUpstreamRuns(pipelineId: string, upstreamRunIds: readonly string[], run: NewRun | null, nowMs: number): Promise<{ consumed: boolean; runId: string | null }> {
    try {
      return await this.db.transaction(async (tx) => {
        const runId = run === null ? null : ((await insertRuns(this.db, tx, [run], nowMs))[0]?.id ?? null);
        for (const upstreamRunId of upstreamRunIds) {
          if ((await tx.run(INSERT_CONSUMPTION, [pipelineId, upstreamRunId, runId, nowMs])) === 0) throw new AlreadyDone();
        }
        return { consumed: true, runId };
      });
    } catch (error) {
      if (error instanceof AlreadyDone) return { consumed: false, runId: null };
      throw error;
    }
  }

  private async withDeliveries(rows: readonly EventRow[]): Promise<EventRecord[]> {
    if (rows.length === 0) return [];
    const deliveries = await this.db.session.all<DeliveryRow>(deliveriesOfEventsSql(rows.length), rows.map((r) => r.id));
    const byEvent = new Map<string, EventDelivery[]>();
    for (const row of deliveries) {
      const list = byEvent.get(row.event_id) ?? [];
      list.push(toDelivery(row));
      byEvent.set(row.event_id, list);
    }
    return rows.map((row) => toEvent(row, byEvent.get(row.id) ?? []));
  }
}

/** The first logical date at or after `ms` no run of the pipeline has (events in one millisecond get the next ones). */
async function freeLogicalDate(tx: SqlTransaction, pipelineId: string, ms: number): Promise<number> {
  let at = ms;
  while ((await tx.get(RUN_AT_LOGICAL_DATE, [pipelineId, at])) !== undefined) at++;
  return at;
}

function toEvent(row: EventRow, deliveries: EventDelivery[]): EventRecord {
  return { id: row.id, name: row.name, payload: JSON.parse(row.payload_json) as unknown, receivedMs: Number(row.received_ms), deliveries };
}

function toDelivery(row: DeliveryRow): EventDelivery {
  return {
    eventId: row.event_id,
    pipelineId: row.pipeline_id,
    outcome: row.outcome as EventOutcome,
    runId: row.run_id,
    reason: row.reason,
    doneMs: Number(row.done_ms),
  };
}
