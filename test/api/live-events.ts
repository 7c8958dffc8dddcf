// Reading /api/v1/events (server-sent events) in the API tests: act once the stream said hello, then collect
// events until one is the awaited one. Every event's SSE name must be its kind.
import { expect } from "vitest";
import type { LiveEvent } from "../../src/api/types.js";

/** Every event after the stream's hello (then `act`) up to and including the first that `until` accepts. */
export async function eventsUntil(baseUrl: string, until: (event: LiveEvent) => boolean, act: () => Promise<void>): Promise<LiveEvent[]> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/events`, { signal: controller.signal });
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: LiveEvent[] = [];
  let buffer = "";
  let acted = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the event stream ended");
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const lines = buffer.slice(0, end).split("\n");
        buffer = buffer.slice(end + 2);
        const kind = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
        if (kind === "hello" && !acted) {
          acted = true;
          await act();
          continue;
        }
        const data = lines.find((l) => l.startsWith("data:"));
        if (!data) continue;
        const event = JSON.parse(data.slice(5)) as LiveEvent;
        expect(kind).toBe(event.kind);
        seen.push(event);
        if (until(event)) return seen;
      }
    }
  } finally {
    controller.abort();
  }
}

/** The first event after the stream's hello (then `act`) that `match` accepts. */
export async function nextEvent(baseUrl: string, match: (event: LiveEvent) => boolean, act: () => Promise<void>): Promise<LiveEvent> {
  return (await eventsUntil(baseUrl, match, act)).at(-1) as LiveEvent;
}
