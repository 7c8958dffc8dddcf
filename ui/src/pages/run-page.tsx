// One run: its facts and progress, Cancel, and two views: the task instances (virtualized) beside the
// selected instance's tries and log, and the Gantt chart of its tries. Everything follows the live stream.
import { useEffect, useMemo, useState } from "react";
import type { RunDetail, StateCounts } from "../../../src/api/types";
import { api } from "../api";
import { Gantt } from "../components/gantt";
import { InstancePanel } from "../components/instance-panel";
import { SensorWaits } from "../components/sensor-waits";
import { CountsBar, CountsLegend, StateBadge } from "../components/state";
import { TaskList } from "../components/task-list";
import { ErrorBox, Loading, Tabs } from "../components/ui";
import { durationBetween, formatDateTime, formatDuration, formatLogicalDate } from "../format";
import { useLoad, useThrottled, useTicker } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths, setSearch, useLocation } from "../router";
import { isRunFinished } from "../states";

type Tab = "tasks" | "gantt";

export function RunPage({ id }: { id: string }) {
  const { search } = useLocation();
  const tab: Tab = search.get("tab") === "gantt" ? "gantt" : "tasks";
  const selectedTask = search.get("task");
  const mapParam = search.get("map");
  const selected = selectedTask ? { task: selectedTask, mapIndex: Number(mapParam ?? -1) } : null;
  // A link to a task without a map index (from the grid or the graph) opens a mapped task at its first
  // instance: a mapped task has no unmapped instance once it has expanded.
  useEffect(() => {
    if (!selectedTask || mapParam !== null) return;
    let current = true;
    api.tasks(id, { task: selectedTask, limit: 1 }).then(
      (page) => {
        const first = page.items[0];
        if (current && first && first.mapIndex >= 0) setSearch({ map: String(first.mapIndex) });
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [id, selectedTask, mapParam]);
  const run = useLoad(() => api.run(id), [id]);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [canceling, setCanceling] = useState(false);
  // The summary of a 100,000-task run is megabytes: re-read it less often than a small run's.
  const large = (run.data?.order.length ?? 0) > 5000;
  const refetch = useThrottled(run.reload, large ? 5000 : 400);
  const finished = run.data ? isRunFinished(run.data.state) : false;
  const now = useTicker(1000, !finished);

  useLiveEvents((event) => {
    if (event.kind === "run" && event.run.id === id) {
      run.set((r) => r && { ...r, ...event.run });
      // The final counts matter more than sparing a request: read them at once when the run ends.
      if (isRunFinished(event.run.state)) run.reload();
      else refetch();
    } else if (event.kind === "task" && event.runId === id) {
      // An unmapped task has one instance, so its counts are its state; mapped ones are recounted by the API.
      if (event.mapIndex < 0 && !large) run.set((r) => r && { ...r, taskCounts: { ...r.taskCounts, [event.taskId]: { [event.state]: 1 } } });
      refetch();
    } else if (event.kind === "reconnected") refetch();
  });

  if (run.error && !run.data) {
    return (
      <div className="page">
        <div className="breadcrumb">
          <Link to="/">Pipelines</Link> <span>/</span> <span className="mono">{id}</span>
        </div>
        <ErrorBox error={run.error} title={`Could not load run ${id}`} />
      </div>
    );
  }
  const r = run.data;

  const cancel = async () => {
    if (!window.confirm(`Cancel run ${id}? Running tries are stopped.`)) return;
    setCanceling(true);
    setCancelError(null);
    try {
      await api.cancel(id);
      run.reload();
    } catch (error) {
      setCancelError(error);
    } finally {
      setCanceling(false);
    }
  };

  // The task list does not wait for the run's summary: on a 100,000-task run the summary (counts per task)
  // is the larger answer, and the first rows are what the user looks for.
  const list = (
    <div className={selected ? "split" : "split single"}>
      <TaskList runId={id} tasks={r?.order ?? []} selected={selected} now={now} onSelect={(i) => setSearch({ task: i.taskId, map: i.mapIndex >= 0 ? String(i.mapIndex) : null })} />
      {selected ? <InstancePanel runId={id} task={selected.task} mapIndex={selected.mapIndex} onClose={() => setSearch({ task: null, map: null })} /> : null}
    </div>
  );
  return (
    <div className="page run-page">
      <div className="breadcrumb">
        <Link to="/">Pipelines</Link> <span>/</span> {r ? <Link to={paths.pipeline(r.pipeline)}>{r.pipeline}</Link> : <span>…</span>} <span>/</span> <span className="mono">{id}</span>
      </div>
      {r ? <RunHeader run={r} now={now} finished={finished} canceling={canceling} onCancel={() => void cancel()} /> : <Loading />}
      <ErrorBox error={cancelError} />
      <SensorWaits runId={id} />
      <Tabs<Tab>
        value={tab}
        onChange={(value) => setSearch({ tab: value === "tasks" ? null : value })}
        options={[
          { value: "tasks", label: "Task instances" },
          { value: "gantt", label: "Gantt" },
        ]}
      />
      {tab === "tasks" ? list : <GanttTab runId={id} now={now} />}
    </div>
  );
}

function RunHeader({ run: r, now, finished, canceling, onCancel }: { run: RunDetail; now: number; finished: boolean; canceling: boolean; onCancel: () => void }) {
  const counts = useMemo(() => totalCounts(r), [r]);
  return (
    <>
      <div className="page-head">
        <div className="title-row">
          <h1>{formatLogicalDate(r.logicalDate)}</h1>
          <span data-testid="run-state">
            <StateBadge state={r.state} />
          </span>
        </div>
        <div className="toolbar">
          {!finished ? (
            <button type="button" className="button danger" disabled={canceling} onClick={onCancel}>
              Cancel run
            </button>
          ) : null}
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Trigger</dt>
          <dd>
            {r.trigger}
            {r.backfillId ? <span className="muted"> · {r.backfillId}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Interval</dt>
          <dd>
            {formatLogicalDate(r.intervalStart)} → {formatLogicalDate(r.intervalEnd)}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDateTime(r.startedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(durationBetween(r.startedAt, r.endedAt, now))}</dd>
        </div>
        <div>
          <dt>Params</dt>
          <dd className="mono small">{Object.keys(r.params).length ? JSON.stringify(r.params) : "—"}</dd>
        </div>
      </dl>
      <div className="progress">
        <CountsBar counts={counts} />
        <CountsLegend counts={counts} />
      </div>
    </>
  );
}

function totalCounts(run: RunDetail): StateCounts {
  const total: StateCounts = {};
  for (const counts of Object.values(run.taskCounts)) {
    for (const [state, n] of Object.entries(counts) as [keyof StateCounts, number][]) total[state] = (total[state] ?? 0) + n;
  }
  return total;
}

function GanttTab({ runId, now }: { runId: string; now: number }) {
  const tries = useLoad(() => api.gantt(runId), [runId]);
  const refetch = useThrottled(tries.reload, 1000);
  useLiveEvents((event) => {
    if (event.kind === "task" && event.runId === runId) refetch();
  });
  if (tries.error) return <ErrorBox error={tries.error} />;
  if (!tries.data) return <Loading />;
  return <Gantt tries={tries.data.tries} truncated={tries.data.truncated} runId={runId} now={now} />;
}
