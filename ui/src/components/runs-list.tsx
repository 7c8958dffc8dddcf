// The runs of a pipeline with filters (state, backfill, logical date range), a page at a time from the API.
import { useState } from "react";
import type { Page, RunState, RunSummary } from "../../../src/api/types";
import { api } from "../api";
import { durationBetween, formatDateTime, formatDuration, formatLogicalDate } from "../format";
import { useLoad, useThrottled } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths } from "../router";
import { RUN_STATES, RUN_STATE_STYLES, stateLabel } from "../states";
import { StateBadge } from "./state";
import { Empty, ErrorBox, Loading } from "./ui";

const PAGE = 50;

export function RunsList({ pipeline }: { pipeline: string }) {
  const [states, setStates] = useState<RunState[]>([]);
  const [backfill, setBackfill] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [more, setMore] = useState<RunSummary[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const query = { pipeline, state: states, backfill: backfill || undefined, from: from || undefined, to: to ? `${to}T23:59:59.999Z` : undefined, limit: PAGE };
  const first = useLoad(async (): Promise<Page<RunSummary>> => {
    const page = await api.runs(query);
    setMore([]);
    setNext(page.next);
    return page;
  }, [pipeline, states.join(","), backfill, from, to]);
  const refetch = useThrottled(first.reload, 1000);

  useLiveEvents((event) => {
    if (event.kind === "run" && event.run.pipeline === pipeline) {
      const known = first.data?.items.some((r) => r.id === event.run.id);
      if (known) first.set((page) => page && { ...page, items: page.items.map((r) => (r.id === event.run.id ? event.run : r)) });
      else refetch();
    } else if (event.kind === "reconnected") refetch();
  });

  const loadMore = async () => {
    if (!next) return;
    try {
      const page = await api.runs({ ...query, cursor: next });
      setMore((m) => [...m, ...page.items]);
      setNext(page.next);
    } catch (error) {
      setMoreError(error);
    }
  };

  const runs = [...(first.data?.items ?? []), ...more];
  const toggle = (state: RunState) => setStates((s) => (s.includes(state) ? s.filter((x) => x !== state) : [...s, state]));

  return (
    <section className="runs-list">
      <h2>Runs</h2>
      <div className="filters">
        <div className="chips" aria-label="Filter by state">
          {RUN_STATES.map((state) => (
            <button key={state} type="button" className={states.includes(state) ? "chip active" : "chip"} onClick={() => toggle(state)}>
              <span className="dot" style={{ background: RUN_STATE_STYLES[state].fill }} /> {stateLabel(state)}
            </button>
          ))}
        </div>
        <label>
          Backfill <input type="text" value={backfill} placeholder="backfill id" onChange={(e) => setBackfill(e.target.value.trim())} aria-label="Backfill id" />
        </label>
        <label>
          From <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="From logical date" />
        </label>
        <label>
          To <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="To logical date" />
        </label>
      </div>
      <ErrorBox error={first.error} />
      {first.loading && !first.data ? <Loading /> : null}
      {first.data && runs.length === 0 ? <Empty>No run matches these filters.</Empty> : null}
      {runs.length > 0 ? (
        <table className="table runs-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Logical date</th>
              <th>Trigger</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Run</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-run={run.id}>
                <td>
                  <StateBadge state={run.state} />
                </td>
                <td>{formatLogicalDate(run.logicalDate)}</td>
                <td>
                  {run.trigger}
                  {run.backfillId ? (
                    <button type="button" className="tag" onClick={() => setBackfill(run.backfillId ?? "")} title="Show this backfill's runs">
                      {run.backfillId}
                    </button>
                  ) : null}
                </td>
                <td>{formatDateTime(run.startedAt)}</td>
                <td>{formatDuration(durationBetween(run.startedAt, run.endedAt))}</td>
                <td>
                  <Link to={paths.run(run.id)} className="mono">
                    {run.id}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ErrorBox error={moreError} />
      {next ? (
        <button type="button" className="button" onClick={() => void loadMore()}>
          Load more runs
        </button>
      ) : null}
    </section>
  );
}
