// Recorded events, newest first: name, time, a payload preview and what each subscribing pipeline did with
// it (the run it started, with that run's state, or why it rejected the event). Deliveries happen in the
// scheduler after the event is stored and make no live event of their own, so the page re-reads on run
// events, every second while a delivery is pending, and every 5 s otherwise.
import { useEffect, useMemo, useState } from "react";
import type { EventView, RunState } from "../../../src/api/types";
import { api } from "../api";
import { EmitDialog } from "../components/emit-dialog";
import { StateBadge } from "../components/state";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { formatDateTime, formatRelative } from "../format";
import { useLoad, useThrottled, useTicker } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths, setSearch, useLocation } from "../router";

const LIMIT = 100;

interface Listing {
  events: EventView[];
  /** The state of each run the listed events started, read from the subscribing pipelines' recent runs. */
  runStates: Record<string, RunState>;
}

async function loadListing(name: string | null): Promise<Listing> {
  const events = (await api.events(name, LIMIT)).items;
  const pipelines = [...new Set(events.flatMap((e) => e.deliveries.filter((d) => d.runId !== null).map((d) => d.pipeline)))];
  const runStates: Record<string, RunState> = {};
  const pages = await Promise.all(pipelines.map((pipeline) => api.runs({ pipeline, limit: 200 })));
  for (const page of pages) for (const run of page.items) runStates[run.id] = run.state;
  return { events, runStates };
}

export function EventsPage() {
  const { search } = useLocation();
  const name = search.get("name") || null;
  const [filter, setFilter] = useState(name ?? "");
  const [emitting, setEmitting] = useState(false);
  const listing = useLoad(() => loadListing(name), [name]);
  const refetch = useThrottled(listing.reload, 500);
  const pending = listing.data?.events.some((e) => e.pending.length > 0) ?? false;
  const now = useTicker(1000);

  useLiveEvents((event) => {
    if (event.kind === "run") {
      const run = event.run;
      listing.set((l) => l && { ...l, runStates: { ...l.runStates, [run.id]: run.state } });
      refetch();
    } else if (event.kind === "reconnected") refetch();
  });
  // The stream has no kind for a recorded event, so one that starts no run (emitted elsewhere, taken by no
  // pipeline) shows on the next slow re-read; pending deliveries are followed every second.
  useEffect(() => {
    const id = window.setInterval(refetch, pending ? 1000 : 5000);
    return () => window.clearInterval(id);
  }, [pending, refetch]);

  // The filter box narrows on Enter or when it loses focus, not on every keystroke (each is a request).
  const applyFilter = () => setSearch({ name: filter.trim() || null });
  const events = listing.data?.events;
  const runStates = useMemo(() => listing.data?.runStates ?? {}, [listing.data]);

  return (
    <div className="page events-page">
      <div className="page-head">
        <h1>Events</h1>
        <div className="toolbar">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              applyFilter();
            }}
          >
            <input className="search" type="search" aria-label="Filter events by name" placeholder="Event name…" value={filter} onChange={(e) => setFilter(e.target.value)} onBlur={applyFilter} />
          </form>
          <button type="button" className="button primary" onClick={() => setEmitting(true)}>
            Emit event
          </button>
        </div>
      </div>
      <ErrorBox error={listing.error} />
      {listing.loading && !events ? <Loading /> : null}
      {events && events.length === 0 ? <Empty>{name ? `No event named ${name} was recorded.` : "No events yet. POST /api/v1/events/<name>, `weir emit <name>`, or Emit event above."}</Empty> : null}
      {events && events.length > 0 ? (
        <table className="table events-table">
          <thead>
            <tr>
              <th>Received</th>
              <th>Name</th>
              <th>Payload</th>
              <th>Pipelines and runs</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <EventRow key={event.id} event={event} runStates={runStates} now={now} />
            ))}
          </tbody>
        </table>
      ) : null}
      {emitting ? (
        <EmitDialog
          initialName={name ?? ""}
          onClose={() => setEmitting(false)}
          onEmitted={(recorded) => {
            // Shown at once; the deliveries follow as the scheduler takes it.
            listing.set((l) => (l && (name === null || recorded.name === name) ? { ...l, events: [recorded, ...l.events.filter((e) => e.id !== recorded.id)] } : l));
            refetch();
          }}
        />
      ) : null}
    </div>
  );
}

function payloadPreview(payload: unknown): string {
  if (payload === null || payload === undefined) return "—";
  const text = JSON.stringify(payload);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function EventRow({ event, runStates, now }: { event: EventView; runStates: Record<string, RunState>; now: number }) {
  const full = event.payload === null || event.payload === undefined ? "" : JSON.stringify(event.payload, null, 2);
  return (
    <tr data-event={event.id} data-event-name={event.name}>
      <td title={formatDateTime(event.receivedAt)}>
        <div>{formatRelative(event.receivedAt, now)}</div>
        <div className="muted small">{formatDateTime(event.receivedAt)}</div>
      </td>
      <td>
        <Link to={paths.events(event.name)} className="mono" title={`Only ${event.name}`}>
          {event.name}
        </Link>
        <div className="muted small mono">{event.id}</div>
      </td>
      <td className="payload">
        <code className="small" title={full}>
          {payloadPreview(event.payload)}
        </code>
      </td>
      <td>
        <ul className="deliveries">
          {event.deliveries.map((d) => (
            <li key={d.pipeline} data-outcome={d.outcome} data-pipeline={d.pipeline}>
              <Link to={paths.pipeline(d.pipeline)}>{d.pipeline}</Link>{" "}
              {d.outcome === "rejected" ? (
                <span className="rejected">
                  rejected: <span className="reason">{d.reason ?? "no reason given"}</span>
                </span>
              ) : d.runId ? (
                <>
                  {d.outcome === "superseded" ? <span className="muted">superseded by </span> : null}
                  <Link to={paths.run(d.runId)} className="mono small run-link">
                    {d.runId}
                  </Link>{" "}
                  {runStates[d.runId] ? <StateBadge state={runStates[d.runId] as RunState} /> : null}
                </>
              ) : null}
            </li>
          ))}
          {event.pending.map((pipeline) => (
            <li key={pipeline} data-outcome="pending" data-pipeline={pipeline}>
              <Link to={paths.pipeline(pipeline)}>{pipeline}</Link> <span className="muted">waiting to be taken (paused, or the scheduler has not seen it yet)</span>
            </li>
          ))}
          {event.deliveries.length === 0 && event.pending.length === 0 ? <li className="muted">no pipeline is scheduled on it</li> : null}
        </ul>
      </td>
    </tr>
  );
}
