// A run's deferred sensors: what each waits for, how often it was checked, and when it is checked next
// (GET /runs/:id/sensors). Checks change no task state, so no live event says one happened: the list is
// re-read on the run's task events and, while a sensor waits, once a second.
import { useEffect } from "react";
import type { SensorWaitView } from "../../../src/api/types";
import { api } from "../api";
import { formatDateTime, formatDuration, formatRelative } from "../format";
import { useLoad, useThrottled, useTicker } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths } from "../router";
import { StateBadge } from "./state";
import { ErrorBox } from "./ui";

export function SensorWaits({ runId }: { runId: string }) {
  const waits = useLoad(async () => (await api.sensors(runId)).items, [runId]);
  const refetch = useThrottled(waits.reload, 1000);
  const waiting = waits.data?.some((w) => w.status === "waiting") ?? false;
  // Its own clock: the run page's stops when the run ends, and a last check would then read as future.
  const now = useTicker(1000);
  useLiveEvents((event) => {
    if ((event.kind === "task" && event.runId === runId) || event.kind === "reconnected") refetch();
  });
  useEffect(() => {
    if (!waiting) return;
    const id = window.setInterval(refetch, 1000);
    return () => window.clearInterval(id);
  }, [waiting, refetch]);

  if (waits.error) return <ErrorBox error={waits.error} title="Could not read the sensors" />;
  if (!waits.data || waits.data.length === 0) return null;
  return (
    <section className="sensor-waits" aria-label="Sensors">
      <h2>Sensors</h2>
      <table className="table compact">
        <thead>
          <tr>
            <th>Task</th>
            <th>Waits for</th>
            <th>Status</th>
            <th>Checks</th>
            <th>Last check</th>
            <th>Next check</th>
            <th>Gives up</th>
          </tr>
        </thead>
        <tbody>
          {waits.data.map((wait) => (
            <WaitRow key={`${wait.taskId}:${wait.mapIndex}:${wait.tryNumber}`} runId={runId} wait={wait} now={now} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function WaitRow({ runId, wait, now }: { runId: string; wait: SensorWaitView; now: number }) {
  const label = wait.mapIndex >= 0 ? `${wait.taskId}[${wait.mapIndex}]` : wait.taskId;
  return (
    <tr data-sensor={wait.taskId} data-status={wait.status}>
      <td>
        <Link to={paths.run(runId, wait.taskId, wait.mapIndex)} className="mono">
          {label}
        </Link>
        {wait.tryNumber > 1 ? <span className="muted small"> · try {wait.tryNumber}</span> : null}
      </td>
      <td className="waits-for">{wait.waitsFor}</td>
      <td>{wait.status === "waiting" ? <StateBadge state="deferred" /> : <span className="muted">answered</span>}</td>
      <td className="checks">
        {wait.checks} <span className="muted small">every {formatDuration(wait.pokeIntervalMs)}</span>
      </td>
      <td title={formatDateTime(wait.lastCheckAt)}>{wait.lastCheckAt ? formatRelative(wait.lastCheckAt, now) : "—"}</td>
      <td className="next-check" title={formatDateTime(wait.nextCheckAt)}>
        {wait.nextCheckAt ? formatRelative(wait.nextCheckAt, now) : "—"}
      </td>
      <td title={formatDateTime(wait.timeoutAt)}>
        {wait.status === "answered" ? "—" : wait.timeoutAt ? formatDateTime(wait.timeoutAt) : "never"}
        {wait.status === "waiting" && wait.timeoutAt && wait.softFail ? <span className="muted small"> (then skipped)</span> : null}
      </td>
    </tr>
  );
}
