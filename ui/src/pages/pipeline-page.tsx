// One pipeline: its facts, a pause switch, Trigger and Backfill, and three views: the graph coloured by a
// chosen run, the grid of recent runs × tasks, and the filtered list of runs with its backfills.
import { useState } from "react";
import type { PipelineDetail } from "../../../src/api/types";
import { api } from "../api";
import { BackfillDialog } from "../components/backfill-dialog";
import { BackfillsList } from "../components/backfills-list";
import { GraphPanel } from "../components/graph-panel";
import { GridView } from "../components/grid-view";
import { RunsList } from "../components/runs-list";
import { TriggerDialog } from "../components/trigger-dialog";
import { ErrorBox, Loading, Switch, Tabs } from "../components/ui";
import { formatDateTime, formatRelative, scheduleExpression } from "../format";
import { useLoad, useThrottled } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths, setSearch, useLocation } from "../router";

type Tab = "graph" | "grid" | "runs";

export function PipelinePage({ id }: { id: string }) {
  const { search } = useLocation();
  const tab = (["graph", "grid", "runs"].includes(search.get("tab") ?? "") ? search.get("tab") : "graph") as Tab;
  const detail = useLoad(() => api.pipeline(id), [id]);
  const [dialog, setDialog] = useState<"trigger" | "backfill" | null>(null);
  const [createdBackfill, setCreatedBackfill] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  // A huge pipeline's details are compact (its first tasks only) but still costlier: re-read them less often.
  const refetch = useThrottled(detail.reload, (detail.data?.taskCount ?? detail.data?.tasks.length ?? 0) > 5000 ? 10_000 : 1000);

  useLiveEvents((event) => {
    if (event.kind === "pipeline" && event.pipeline === id) {
      detail.set((d) => d && { ...d, paused: event.paused });
      refetch();
    } else if (event.kind === "run" && event.run.pipeline === id) refetch();
    else if (event.kind === "reconnected") refetch();
  });

  if (detail.error && !detail.data) {
    return (
      <div className="page">
        <Breadcrumb id={id} />
        <ErrorBox error={detail.error} title={`Could not load ${id}`} />
      </div>
    );
  }
  const p = detail.data;

  const setPaused = async (paused: boolean) => {
    setActionError(null);
    detail.set((d) => d && { ...d, paused });
    try {
      await (paused ? api.pause(id) : api.unpause(id));
    } catch (error) {
      setActionError(error);
      detail.reload();
    }
  };

  // The views below do not wait for the pipeline's details: with 100,000 tasks both are megabytes, and
  // the graph's own request can run beside this one.
  return (
    <div className="page">
      <Breadcrumb id={id} />
      {p ? (
        <>
          <div className="page-head">
            <div className="title-row">
              <Switch checked={!p.paused} label={p.paused ? "Unpause" : "Pause"} onChange={(active) => void setPaused(!active)} />
              <h1>{p.id}</h1>
              {p.paused ? <span className="pill">paused</span> : null}
            </div>
            <div className="toolbar">
              <button type="button" className="button" onClick={() => setDialog("backfill")} disabled={!hasTimeSchedule(p.schedule)} title={hasTimeSchedule(p.schedule) ? undefined : "Backfills need a time schedule"}>
                Backfill…
              </button>
              <button type="button" className="button primary" onClick={() => setDialog("trigger")}>
                ▶ Trigger
              </button>
            </div>
          </div>
          {p.description ? <p className="lead">{p.description}</p> : null}
          <ErrorBox error={actionError} />
          <Facts pipeline={p} />
        </>
      ) : (
        <Loading />
      )}
      <Tabs<Tab>
        value={tab}
        onChange={(value) => setSearch({ tab: value })}
        options={[
          { value: "graph", label: "Graph" },
          { value: "grid", label: "Grid" },
          { value: "runs", label: "Runs" },
        ]}
      />
      {tab === "graph" ? <GraphPanel pipelineId={id} recentRuns={p?.recentRuns ?? null} /> : null}
      {tab === "grid" ? <GridTab id={id} /> : null}
      {tab === "runs" ? (
        <>
          <BackfillsList pipeline={id} highlight={createdBackfill} />
          <RunsList pipeline={id} />
        </>
      ) : null}
      {dialog === "trigger" ? <TriggerDialog pipelineId={id} onClose={() => setDialog(null)} /> : null}
      {dialog === "backfill" ? (
        <BackfillDialog
          pipelineId={id}
          onClose={() => setDialog(null)}
          onCreated={(backfillId) => {
            setCreatedBackfill(backfillId);
            setSearch({ tab: "runs" });
          }}
        />
      ) : null}
    </div>
  );
}

function Breadcrumb({ id }: { id: string }) {
  return (
    <div className="breadcrumb">
      <Link to="/">Pipelines</Link> <span>/</span> <span>{id}</span>
    </div>
  );
}

function Facts({ pipeline: p }: { pipeline: PipelineDetail }) {
  return (
    <dl className="facts">
      <div>
        <dt>Schedule</dt>
        <dd>
          {p.scheduleText} {scheduleExpression(p.schedule) ? <code className="muted">{p.schedule}</code> : null}
          {eventNames(p.schedule).map((name, i, all) => (
            <Link key={name} to={paths.events(name)} className="small event-link">
              {all.length === 1 ? "recent events →" : `${name} events →`}
            </Link>
          ))}
        </dd>
      </div>
      <div>
        <dt>Next run</dt>
        <dd title={formatDateTime(p.nextRunAt)}>{p.paused ? "paused" : p.nextRunAt ? `${formatRelative(p.nextRunAt)} · ${formatDateTime(p.nextRunAt)}` : "—"}</dd>
      </div>
      <div>
        <dt>Tasks</dt>
        <dd>{(p.taskCount ?? p.tasks.length).toLocaleString()}</dd>
      </div>
      <div>
        <dt>Max active runs</dt>
        <dd>{p.maxActiveRuns}</dd>
      </div>
      <div>
        <dt>Tags</dt>
        <dd>{p.tags.length ? p.tags.map((t) => <span key={t} className="tag">{t}</span>) : "—"}</dd>
      </div>
      <div>
        <dt>File</dt>
        <dd className="mono small" title={`version ${p.version}`}>
          {p.file}
        </dd>
      </div>
    </dl>
  );
}

function GridTab({ id }: { id: string }) {
  const grid = useLoad(() => api.grid(id, 25), [id]);
  const refetch = useThrottled(grid.reload, 1000);
  useLiveEvents((event) => {
    if (event.kind === "run" && event.run.pipeline === id) refetch();
    else if (event.kind === "task" && grid.data?.runs.some((r) => r.id === event.runId)) refetch();
  });
  if (grid.error) return <ErrorBox error={grid.error} />;
  if (!grid.data) return <Loading />;
  return <GridView grid={grid.data} />;
}

/** Whether the schedule has intervals to backfill: a cron or interval, alone or beside events / `after`. */
function hasTimeSchedule(schedule: string | null): boolean {
  if (schedule === null) return false;
  if (!schedule.startsWith("{")) return true;
  try {
    return (JSON.parse(schedule) as { cron?: unknown }).cron !== undefined;
  } catch {
    return false;
  }
}

/** The event names of an event schedule (the API gives a non-cron schedule as its JSON), for links to their events. */
function eventNames(schedule: string | null): string[] {
  if (!schedule?.startsWith("{")) return [];
  try {
    const parsed = JSON.parse(schedule) as { events?: unknown };
    return Array.isArray(parsed.events) ? parsed.events.filter((e): e is string => typeof e === "string") : [];
  } catch {
    return [];
  }
}
