// Emit: record an event (`POST /api/v1/events/<name>`, `weir emit <name>`). The event is committed before this
// resolves, so an acknowledged event is never lost; the scheduler then starts the runs of the pipelines
// scheduled by it (scheduler/event-triggers.ts). Payloads are checked against a pipeline's `event` schema
// there, in a worker: a payload a pipeline rejects is recorded as rejected for it, with the reason.
import { randomBytes } from "node:crypto";
import { WeirError } from "../../common/errors.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { EventRecord } from "../../store/types.js";
import { isValidEventName } from "../../time/index.js";
import type { CommandContext } from "./context.js";

export interface EmitInput {
  name: string;
  payload: unknown;
}

/** Largest payload kept (its JSON text). */
export const MAX_EVENT_PAYLOAD_BYTES = 256 * 1024;

let eventSeq = 0;

/**
 * Event ids sort as the events were received: by time to the millisecond, then by a counter of this process
 * (events in one millisecond keep their order), then a random part against other processes.
 */
export function newEventId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:.]/g, "");
  eventSeq = (eventSeq + 1) % 36 ** 6;
  return `evt_${stamp}_${eventSeq.toString(36).padStart(6, "0")}${randomBytes(3).toString("hex")}`;
}

export function checkEventName(name: string): void {
  if (!isValidEventName(name)) {
    throw new WeirError("event_name_invalid", `event name ${JSON.stringify(name)} is not valid: use 1-200 letters, digits, "_", ".", ":" or "-" (e.g. orders.loaded)`);
  }
}

export async function emitEvent(ctx: CommandContext, input: EmitInput): Promise<EventRecord> {
  checkEventName(input.name);
  const text = JSON.stringify(input.payload ?? null);
  if (Buffer.byteLength(text) > MAX_EVENT_PAYLOAD_BYTES) {
    throw new WeirError("event_payload_too_large", `the payload of event ${input.name} is ${Buffer.byteLength(text)} bytes; at most ${MAX_EVENT_PAYLOAD_BYTES} are kept (put large data in a file and send its path)`);
  }
  const nowMs = ctx.clock.now();
  const event = await ctx.store.events.recordEvent({ id: newEventId(nowMs), name: input.name, payload: input.payload ?? null }, nowMs);
  ctx.live?.wake();
  return event;
}

/** The pipelines whose schedule names this event. */
export function subscribersOf(name: string, graphs: readonly PipelineGraph[]): string[] {
  return graphs.filter((g) => eventNamesOf(g).includes(name)).map((g) => g.id);
}

export function eventNamesOf(graph: Pick<PipelineGraph, "schedule">): readonly string[] {
  const schedule = graph.schedule;
  return typeof schedule === "object" && schedule !== null && "events" in schedule && Array.isArray(schedule.events) ? schedule.events : [];
}
