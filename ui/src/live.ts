// One EventSource for the whole app (GET /api/v1/events); components subscribe to the kinds they show.
// The browser reconnects by itself; after a reconnect subscribers refetch, as events may have been missed.
import { useEffect, useRef, useSyncExternalStore } from "react";
import type { LiveEvent } from "../../src/api/types";

type Listener = (event: LiveEvent | { kind: "reconnected" }) => void;
type Status = "connecting" | "live" | "offline";

const listeners = new Set<Listener>();
const statusListeners = new Set<() => void>();
let status: Status = "connecting";
let source: EventSource | null = null;
let wasOpen = false;

function setStatus(next: Status): void {
  if (next === status) return;
  status = next;
  for (const listener of statusListeners) listener();
}

function dispatch(data: string): void {
  let event: LiveEvent;
  try {
    event = JSON.parse(data) as LiveEvent;
  } catch {
    return;
  }
  for (const listener of listeners) listener(event);
}

function connect(): void {
  if (source) return;
  source = new EventSource("/api/v1/events");
  source.onopen = () => {
    setStatus("live");
    if (wasOpen) for (const listener of listeners) listener({ kind: "reconnected" });
    wasOpen = true;
  };
  source.onerror = () => setStatus(source?.readyState === EventSource.CLOSED ? "offline" : "connecting");
  // The server names each event by its kind; unnamed messages are accepted too.
  for (const kind of ["run", "task", "pipeline", "backfill"] as const) {
    source.addEventListener(kind, (message) => dispatch((message as MessageEvent<string>).data));
  }
  source.onmessage = (message) => dispatch(message.data as string);
}

/**
 * Hands every subscriber a change this page itself caused (the answer of a mark or clear), as if the stream
 * had sent it: the page shows it at once, and the same way whether or not the server streams it too.
 */
export function publishLocal(event: LiveEvent): void {
  for (const listener of listeners) listener(event);
}

export function useLiveStatus(): Status {
  connect();
  return useSyncExternalStore(
    (onChange) => {
      statusListeners.add(onChange);
      return () => statusListeners.delete(onChange);
    },
    () => status,
  );
}

/** Calls `handler` for every live event (the latest handler, without resubscribing each render). */
export function useLiveEvents(handler: Listener): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    connect();
    const listener: Listener = (event) => ref.current(event);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
}
