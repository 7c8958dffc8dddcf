// /events: record an event (POST /events/:name, 201 once committed), list recorded events with the runs they
// started (GET /events?name=&limit=, which without a query parameter or Accept: application/json stays the
// live event stream), and one event. Payloads are checked against each subscribing pipeline's `event` schema
// by the scheduler, in a worker, after the event is recorded: a rejection shows in the event's deliveries.
import type { Context } from "hono";
import { WeirError } from "../../common/errors.js";
import { emitEvent, subscribersOf } from "../../scheduler/commands/index.js";
import { checkEventName } from "../../scheduler/commands/emit.js";
import type { PipelineGraph } from "../../graph/types.js";
import type { EventRecord, Store } from "../../store/types.js";
import type { ApiContext, RouteSpec } from "../api-context.js";
import { decodeCursor, encodeCursor, queryInteger } from "../input.js";
import { streamEvents } from "../sse.js";
import type { EventList, EventView } from "../types.js";
import { iso } from "../views.js";

const DEFAULT_LIMIT = 50;

export async function eventView(api: ApiContext, event: EventRecord): Promise<EventView> {
  return toEventView(event, (await api.pipelines()).map((p) => p.graph), api.store);
}

/**
 * The API's (and `weir events --json`'s) view of an event, given the pipelines registered now. A subscriber
 * first registered after the event was received never takes it, so it is not pending.
 */
export async function toEventView(event: EventRecord, graphs: readonly PipelineGraph[], store: Pick<Store, "events">): Promise<EventView> {
  const subscribers = subscribersOf(event.name, graphs);
  const handled = new Set(event.deliveries.map((d) => d.pipelineId));
  const waiting: string[] = [];
  for (const id of subscribers) {
    if (handled.has(id)) continue;
    const since = await store.events.pipelineFirstRegisteredMs(id);
    if (since !== null && since <= event.receivedMs) waiting.push(id);
  }
  return {
    id: event.id,
    name: event.name,
    payload: event.payload,
    receivedAt: iso(event.receivedMs) as string,
    subscribers,
    deliveries: event.deliveries.map((d) => ({ pipeline: d.pipelineId, outcome: d.outcome, runId: d.runId, reason: d.reason, at: iso(d.doneMs) as string })),
    runIds: [...new Set(event.deliveries.filter((d) => d.outcome === "started" && d.runId !== null).map((d) => d.runId as string))],
    pending: waiting,
  };
}

async function emit(c: Context, api: ApiContext): Promise<Response> {
  const name = c.req.param("event") as string;
  checkEventName(name);
  const text = await c.req.text();
  let payload: unknown = null;
  if (text.trim() !== "") {
    try {
      payload = JSON.parse(text) as unknown;
    } catch (error) {
      throw new WeirError("malformed_json", `the body is not JSON: ${(error as Error).message}`);
    }
  }
  const event = await emitEvent(api.commands, { name, payload });
  return c.json(await eventView(api, event), 201);
}

function isEventCursor(value: unknown): value is { r: number; i: string } {
  const v = value as { r?: unknown; i?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.r === "number" && typeof v.i === "string";
}

/** JSON when asked for it (a query parameter, or Accept: application/json); the live stream otherwise. */
async function listOrStream(c: Context, api: ApiContext): Promise<Response> {
  const accept = c.req.header("accept") ?? "";
  const asked = Object.keys(c.req.queries()).length > 0 || (accept.includes("application/json") && !accept.includes("text/event-stream"));
  if (!asked) return streamEvents(c, api.hub);
  const name = c.req.query("name") || undefined;
  if (name !== undefined) checkEventName(name);
  const limit = queryInteger(c, "limit", { min: 1, max: 500 }) ?? DEFAULT_LIMIT;
  const cursor = decodeCursor(c.req.query("cursor"), isEventCursor);
  const events = await api.store.events.listEvents({ name, limit: limit + 1, ...(cursor ? { before: { receivedMs: cursor.r, id: cursor.i } } : {}) });
  const items = events.slice(0, limit);
  const last = items[items.length - 1];
  const body: EventList = {
    items: await Promise.all(items.map((e) => eventView(api, e))),
    next: events.length > limit && last ? encodeCursor({ r: last.receivedMs, i: last.id }) : null,
  };
  return c.json(body);
}

async function one(c: Context, api: ApiContext): Promise<Response> {
  const id = c.req.param("event") as string;
  const event = await api.store.events.getEvent(id);
  if (!event) throw new WeirError("event_not_found", `no event with id "${id}"`);
  return c.json(await eventView(api, event));
}

export const eventRoutes: RouteSpec[] = [
  {
    method: "post",
    // One template name for both: OpenAPI forbids /events/{name} beside /events/{id} (the same path).
    path: "/events/:event",
    tag: "events",
    summary:
      "Record an event named {event} (the body is its JSON payload); 201 once committed. Pipelines scheduled by it get runs; each checks the payload against its `event` schema in a worker and records a rejection with the reason (GET /events/{id})",
    body: "EventPayload",
    response: "EventView",
    status: 201,
    handler: emit,
  },
  {
    method: "get",
    path: "/events",
    tag: "live",
    summary:
      "Server-sent events (LiveEvent); with a query parameter or Accept: application/json, the recorded events newest first with what each subscribing pipeline did with them (EventList)",
    query: [
      { name: "name", type: "string", description: "only events of this name" },
      { name: "limit", type: "integer", description: "page size (1–500, default 50)" },
      { name: "cursor", type: "string", description: "`next` of the previous page" },
    ],
    response: "sse",
    json: "EventList",
    handler: listOrStream,
  },
  { method: "get", path: "/events/:event", tag: "events", summary: "One recorded event (by its id) with the runs it started and why a pipeline rejected it", response: "EventView", handler: one },
];
