// One task instance of a run: its tries (state, times, worker, error), the selected try's log, and the
// operations: clear (alone or with downstream) and mark success or failed.
import { useEffect, useState } from "react";
import type { ClearResponse, MarkResponse, TaskState, TryView } from "../../../src/api/types";
import { api } from "../api";
import { durationBetween, formatDateTime, formatDuration } from "../format";
import { useLoad, useThrottled } from "../hooks";
import { publishLocal, useLiveEvents } from "../live";
import { LogView } from "./log-view";
import { StateBadge } from "./state";
import { ErrorBox, Loading } from "./ui";

export function InstancePanel(props: { runId: string; task: string; mapIndex: number; onClose: () => void }) {
  const { runId, task, mapIndex } = props;
  const tries = useLoad(() => api.tries(runId, task, mapIndex), [runId, task, mapIndex]);
  const [chosenTry, setChosenTry] = useState<number | null>(null);
  const [state, setState] = useState<TaskState | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const refetch = useThrottled(tries.reload, 400);

  useEffect(() => {
    setChosenTry(null);
    setState(null);
    setNotice(null);
    setError(null);
  }, [runId, task, mapIndex]);

  useLiveEvents((event) => {
    if (event.kind === "task" && event.runId === runId && event.taskId === task && event.mapIndex === mapIndex) {
      setState(event.state);
      refetch();
    }
  });

  const list: TryView[] = tries.data ?? [];
  const latest = list[list.length - 1];
  const shownTry = list.find((t) => t.tryNumber === chosenTry) ?? latest;

  const act = async <T,>(label: string, action: () => Promise<T>, done: (result: T) => string) => {
    setBusy(label);
    setError(null);
    setNotice(null);
    try {
      setNotice(done(await action()));
      setChosenTry(null);
      tries.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="instance-panel" aria-label="Task instance">
      <header className="instance-head">
        <div>
          <h2>
            {task}
            {mapIndex >= 0 ? <span className="map-index">[{mapIndex}]</span> : null}
          </h2>
          {state ? <StateBadge state={state} /> : null}
        </div>
        <button type="button" className="icon-button" onClick={props.onClose} aria-label="Close task">
          ×
        </button>
      </header>
      <div className="actions">
        <button type="button" className="button" disabled={busy !== null} onClick={() => void act("clear", () => api.clear(runId, { tasks: [task], downstream: false }).then(announceCleared), (r) => clearedText(task, r))}>
          Clear
        </button>
        <button type="button" className="button" disabled={busy !== null} onClick={() => void act("clear-down", () => api.clear(runId, { tasks: [task], downstream: true }).then(announceCleared), (r) => clearedText(task, r))}>
          Clear with downstream
        </button>
        <button type="button" className="button" disabled={busy !== null} onClick={() => void act("success", () => api.mark(runId, task, { state: "success", ...(mapIndex >= 0 ? { mapIndex } : {}) }).then(announceMarked), () => `Marked ${task} success.`)}>
          Mark success
        </button>
        <button type="button" className="button danger-outline" disabled={busy !== null} onClick={() => void act("failed", () => api.mark(runId, task, { state: "failed", ...(mapIndex >= 0 ? { mapIndex } : {}) }).then(announceMarked), () => `Marked ${task} failed.`)}>
          Mark failed
        </button>
      </div>
      {notice ? <div className="notice">{notice}</div> : null}
      <ErrorBox error={error} />
      <ErrorBox error={tries.error} />
      {tries.loading && !tries.data ? <Loading /> : null}
      {tries.data && list.length === 0 ? <p className="muted">No try yet: the instance has not started.</p> : null}
      {list.length > 0 ? (
        <table className="table compact tries">
          <thead>
            <tr>
              <th>Try</th>
              <th>State</th>
              <th>Queued</th>
              <th>Waited</th>
              <th>Ran</th>
              <th>Worker</th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.tryNumber} className={t.tryNumber === shownTry?.tryNumber ? "selected" : ""} onClick={() => setChosenTry(t.tryNumber)} data-try={t.tryNumber}>
                <td>#{t.tryNumber}</td>
                <td>
                  <StateBadge state={t.state} />
                </td>
                <td>{formatDateTime(t.queuedAt)}</td>
                <td>{formatDuration(durationBetween(t.queuedAt, t.startedAt))}</td>
                <td>{formatDuration(durationBetween(t.startedAt, t.endedAt))}</td>
                <td className="mono small">{t.worker ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {shownTry?.error ? (
        <div className="try-error">
          <b>
            {shownTry.error.kind === "error" ? shownTry.error.name : shownTry.error.kind}: {shownTry.error.message}
          </b>
          {shownTry.error.stack ? <pre>{shownTry.error.stack}</pre> : null}
        </div>
      ) : null}
      {shownTry ? <LogView key={`${shownTry.tryNumber}`} runId={runId} task={task} mapIndex={mapIndex} tryNumber={shownTry.tryNumber} live={shownTry.endedAt === null} /> : null}
    </section>
  );
}

function clearedText(task: string, result: ClearResponse): string {
  const n = result.cleared.length;
  const busy = result.inFlight.length ? ` ${result.inFlight.length} still running, left alone.` : "";
  if (n === 0) return `Nothing to clear: ${task} has not ended.${busy}`;
  return `Cleared ${task}${n > 1 ? ` and ${n - 1} more instance${n === 2 ? "" : "s"}` : ""}: ${n === 1 ? "it runs" : "they run"} again.${busy}`;
}

function announceMarked(result: MarkResponse): MarkResponse {
  const i = result.instance;
  publishLocal({ kind: "task", runId: result.run.id, taskId: i.taskId, mapIndex: i.mapIndex, state: i.state, tryNumber: i.tryNumber });
  publishLocal({ kind: "run", run: result.run });
  return result;
}

function announceCleared(result: ClearResponse): ClearResponse {
  // An instance that ended at once (no next try) is left to the list's own re-read of the run.
  for (const c of result.cleared) {
    if (c.nextTry !== null) publishLocal({ kind: "task", runId: result.run.id, taskId: c.taskId, mapIndex: c.mapIndex, state: c.to, tryNumber: c.nextTry });
  }
  publishLocal({ kind: "run", run: result.run });
  return result;
}
