// `weir emit <name> [--data JSON]` records an event (docs/events.md); `weir events [--name N] [-n N] [--json]`
// lists recorded events newest first with what each subscribing pipeline did with them. Both work on the
// store directly or, with `--server URL`, through the HTTP API.
import { WeirError } from "../../common/errors.js";
import { toEventView } from "../../api/routes/events.js";
import type { EventList, EventView } from "../../api/types.js";
import { systemClock } from "../../scheduler/clock.js";
import { checkEventName, emitEvent } from "../../scheduler/commands/index.js";
import { openStore } from "../../store/open-store.js";
import type { Store } from "../../store/types.js";
import { callApi, enc } from "../api-client.js";
import { resolveConfig } from "../config.js";
import { out, printJson, say } from "../output.js";

export interface EmitOptions {
  data?: string;
  server?: string;
  json?: boolean;
}

function parseData(data: string | undefined): unknown {
  if (data === undefined) return null;
  try {
    return JSON.parse(data) as unknown;
  } catch (error) {
    throw new WeirError("event_payload_invalid", `--data must be JSON (e.g. --data '{"rows": 120}'): ${(error as Error).message}`);
  }
}

/** The store, created if it is not there yet: an event may be the first thing a new home sees. */
async function withOpenStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
  const config = resolveConfig();
  const store = await openStore(config.databaseUrl, config.home);
  try {
    await store.migrate();
    return await use(store);
  } finally {
    await store.close();
  }
}

export async function emitCommand(name: string, options: EmitOptions): Promise<void> {
  checkEventName(name);
  const payload = parseData(options.data);
  let view: EventView;
  if (options.server) {
    view = await callApi<EventView>(options.server, "POST", `/events/${enc(name)}`, payload);
  } else {
    view = await withOpenStore(async (store) => {
      const event = await emitEvent({ store, live: null, clock: systemClock }, { name, payload });
      return toEventView(event, (await store.listPipelines()).map((p) => p.graph), store);
    });
  }
  if (options.json) {
    printJson({ event: view });
    return;
  }
  const who = view.subscribers.length === 0 ? "no pipeline is scheduled by it (kept, visible in `weir events`)" : `for ${view.subscribers.join(", ")}`;
  say(`weir: event ${view.id} (${view.name}) recorded ${who}`);
  out(view.id);
}

export interface EventsOptions {
  name?: string;
  limit: number;
  server?: string;
  json?: boolean;
}

export async function eventsCommand(options: EventsOptions): Promise<void> {
  if (options.name !== undefined) checkEventName(options.name);
  let events: EventView[];
  if (options.server) {
    const query = `limit=${options.limit}${options.name === undefined ? "" : `&name=${enc(options.name)}`}`;
    events = (await callApi<EventList>(options.server, "GET", `/events?${query}`)).items;
  } else {
    events = await withOpenStore(async (store) => {
      const graphs = (await store.listPipelines()).map((p) => p.graph);
      const events = await store.events.listEvents({ name: options.name, limit: options.limit });
      return Promise.all(events.map((e) => toEventView(e, graphs, store)));
    });
  }
  if (options.json) {
    printJson({ events });
    return;
  }
  if (events.length === 0) say("weir: no events recorded");
  for (const e of events) {
    const outcomes = e.deliveries.map((d) => `${d.pipeline}: ${d.outcome}${d.runId ? ` ${d.runId}` : ""}${d.reason ? ` (${d.reason})` : ""}`);
    if (e.pending.length > 0) outcomes.push(`pending: ${e.pending.join(", ")}`);
    if (e.subscribers.length === 0 && e.deliveries.length === 0) outcomes.push("no pipeline scheduled by it");
    out(`${e.receivedAt}  ${e.id}  ${e.name}  ${outcomes.join("; ")}`);
  }
}
