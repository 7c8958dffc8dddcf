// A pipeline's backfills with their progress (runs per state) and a cancel button while they run.
import { useState } from "react";
import type { BackfillView, RunState } from "../../../src/api/types";
import { api } from "../api";
import { formatDateTime, formatLogicalDate } from "../format";
import { useLoad, useThrottled } from "../hooks";
import { useLiveEvents } from "../live";
import { CountsBar, StateBadge, countsText } from "./state";
import { ErrorBox } from "./ui";

export function BackfillsList({ pipeline, highlight }: { pipeline: string; highlight: string | null }) {
  const list = useLoad(async () => (await api.backfills(pipeline)).items, [pipeline, highlight]);
  const [error, setError] = useState<unknown>(null);
  const refetch = useThrottled(list.reload, 1000);
  useLiveEvents((event) => {
    if (event.kind === "backfill" && event.backfill.pipeline === pipeline) {
      const known = list.data?.some((b) => b.id === event.backfill.id);
      if (known) list.set((items) => items && items.map((b) => (b.id === event.backfill.id ? event.backfill : b)));
      else refetch();
    } else if (event.kind === "run" && event.run.pipeline === pipeline && event.run.backfillId) refetch();
  });
  if (!list.data || list.data.length === 0) return null;
  const cancel = async (backfill: BackfillView) => {
    setError(null);
    try {
      await api.cancelBackfill(backfill.id);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section className="backfills" aria-label="Backfills">
      <h2>Backfills</h2>
      <ErrorBox error={error} />
      <table className="table compact">
        <thead>
          <tr>
            <th>State</th>
            <th>Range</th>
            <th>Runs</th>
            <th>Concurrency</th>
            <th>Reprocess</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.data.map((b) => (
            <tr key={b.id} data-backfill={b.id} className={b.id === highlight ? "highlight" : ""}>
              <td>
                <StateBadge state={b.state} />
              </td>
              <td>
                {formatLogicalDate(b.from)} → {formatLogicalDate(b.to)}
                <div className="muted small mono">{b.id}</div>
              </td>
              <td className="counts-cell" title={countsText(b.runCounts as Partial<Record<RunState, number>>)}>
                <CountsBar counts={b.runCounts} />
              </td>
              <td>{b.concurrency}</td>
              <td>{b.reprocess}</td>
              <td>{formatDateTime(b.createdAt)}</td>
              <td>
                {b.state === "running" ? (
                  <button type="button" className="button small danger" onClick={() => void cancel(b)}>
                    Cancel
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
