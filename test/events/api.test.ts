// Events over HTTP with the scheduler in the same process (as `weir dev` runs it): POST /api/v1/events/<name>
// records an event (201 after commit), the scheduler starts the subscribed pipeline's run, and the event shows
// the run it started; a payload the pipeline's schema rejects is 201 too, and shows as rejected with the reason.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ApiError, EventList, EventView, RunDetail } from "../../src/api/types.js";
import { startHarness, type Harness } from "../api/helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ root: join(import.meta.dirname, "fixtures") });
}, 30_000);
afterAll(async () => h.close());

async function settled(id: string, check: (e: EventView) => boolean): Promise<EventView> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { body } = await h.call<EventView>("GET", `/api/v1/events/${id}`);
    if (check(body)) return body;
    if (Date.now() > until) throw new Error(`event ${id} did not settle: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it("records an event, starts the subscribed pipeline's run, and shows the run the event started", async () => {
  const posted = await h.call<EventView>("POST", "/api/v1/events/orders.loaded", { rows: 12 });
  expect(posted.status).toBe(201);
  expect(posted.body).toMatchObject({ name: "orders.loaded", payload: { rows: 12 }, subscribers: ["on_orders", "order_batches"], deliveries: [], runIds: [] });
  const event = await settled(posted.body.id, (e) => e.runIds.length === 1);
  expect(event.deliveries).toEqual([expect.objectContaining({ pipeline: "on_orders", outcome: "started", runId: event.runIds[0], reason: null })]);
  // The batched pipeline waits for its window (an hour): still pending, visibly.
  expect(event.pending).toEqual(["order_batches"]);
  const run = await h.call<RunDetail>("GET", `/api/v1/runs/${event.runIds[0]}`);
  expect(run.body).toMatchObject({ pipeline: "on_orders", trigger: "event", logicalDate: event.receivedAt });
});

it("a payload the pipeline's schema rejects is recorded (201), and the event shows the rejection with its reason", async () => {
  const posted = await h.call<EventView>("POST", "/api/v1/events/orders.loaded", { rows: -3 });
  expect(posted.status).toBe(201);
  const event = await settled(posted.body.id, (e) => e.deliveries.length === 1);
  expect(event.deliveries[0]).toMatchObject({ pipeline: "on_orders", outcome: "rejected", runId: null });
  expect(event.deliveries[0]?.reason).toMatch(/does not match the event schema of on_orders: rows: /);
  expect(event.runIds).toEqual([]);
});

it("lists events newest first, by name, with pages; an unknown name is kept and starts nothing", async () => {
  const stray = await h.call<EventView>("POST", "/api/v1/events/nobody.listens", "");
  expect(stray.status).toBe(201);
  expect(stray.body).toMatchObject({ payload: null, subscribers: [], pending: [] });
  const all = await h.call<EventList>("GET", "/api/v1/events?limit=2");
  expect(all.body.items.map((e) => e.name)).toEqual(["nobody.listens", "orders.loaded"]);
  expect(all.body.next).not.toBeNull();
  const rest = await h.call<EventList>("GET", `/api/v1/events?limit=2&cursor=${all.body.next}`);
  expect(rest.body.items.map((e) => e.payload)).toEqual([{ rows: 12 }]);
  const named = await h.call<EventList>("GET", "/api/v1/events?name=nobody.listens");
  expect(named.body.items.map((e) => e.id)).toEqual([stray.body.id]);
  // Asked with Accept: application/json and no query, it is the list too.
  const accepted = await fetch(`${h.url}/api/v1/events`, { headers: { accept: "application/json" } });
  expect(((await accepted.json()) as EventList).items.length).toBe(3);
});

it("bad input: a bad name (422), a body that is not JSON (400), an unknown event id (404)", async () => {
  const badName = await h.call<ApiError>("POST", "/api/v1/events/bad%20name", {});
  expect(badName.status).toBe(422);
  expect(badName.body.error.code).toBe("event_name_invalid");
  const notJson = await h.call<ApiError>("POST", "/api/v1/events/orders.loaded", "{rows:");
  expect(notJson.status).toBe(400);
  expect(notJson.body.error.code).toBe("malformed_json");
  const unknown = await h.call<ApiError>("GET", "/api/v1/events/evt_nope");
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe("event_not_found");
});

it("the OpenAPI document lists the event routes", async () => {
  const doc = await h.call<{ paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>> }>("GET", "/api/v1/openapi.json");
  expect(Object.keys(doc.body.paths["/api/v1/events/{event}"] ?? {}).sort()).toEqual(["get", "post"]);
  expect(Object.keys(doc.body.paths["/api/v1/events"]?.get?.responses["200"]?.content ?? {}).sort()).toEqual(["application/json", "text/event-stream"]);
});
