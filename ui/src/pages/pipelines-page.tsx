// The pipelines page: every pipeline with its schedule in words, next run, latest runs as squares, paused
// switch, a tag filter and a search; files that failed to load are listed above with their error.
import { useMemo, useState } from "react";
import type { PipelineList, PipelineSummary, RunSummary } from "../../../src/api/types";
import { api } from "../api";
import { ErrorBox, Empty, Loading, Switch } from "../components/ui";
import { TriggerDialog } from "../components/trigger-dialog";
import { formatDateTime, formatLogicalDate, formatRelative, scheduleExpression } from "../format";
import { useLoad, useThrottled } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths } from "../router";
import { RUN_STATE_STYLES, stateLabel } from "../states";

export function PipelinesPage() {
  const list = useLoad(() => api.pipelines(), []);
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState<string | null>(null);
  const [trigger, setTrigger] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const refetch = useThrottled(list.reload, 1000);

  useLiveEvents((event) => {
    if (event.kind === "pipeline") {
      list.set((current) => current && { ...current, pipelines: current.pipelines.map((p) => (p.id === event.pipeline ? { ...p, paused: event.paused } : p)) });
      refetch();
    } else if (event.kind === "run") {
      list.set((current) => current && applyRun(current, event.run));
      refetch();
    } else if (event.kind === "reconnected") refetch();
  });

  const tags = useMemo(() => [...new Set(list.data?.pipelines.flatMap((p) => p.tags) ?? [])].sort(), [list.data]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (list.data?.pipelines ?? []).filter(
      (p) =>
        (!tag || p.tags.includes(tag)) &&
        (!needle || p.id.toLowerCase().includes(needle) || (p.description ?? "").toLowerCase().includes(needle) || p.file.toLowerCase().includes(needle)),
    );
  }, [list.data, search, tag]);

  const setPaused = async (pipeline: PipelineSummary, paused: boolean) => {
    setActionError(null);
    list.set((current) => current && { ...current, pipelines: current.pipelines.map((p) => (p.id === pipeline.id ? { ...p, paused } : p)) });
    try {
      await (paused ? api.pause(pipeline.id) : api.unpause(pipeline.id));
    } catch (error) {
      setActionError(error);
      list.reload();
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Pipelines</h1>
        <div className="toolbar">
          <input className="search" type="search" placeholder="Search pipelines" aria-label="Search pipelines" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
      </div>
      {tags.length > 0 ? (
        <div className="chips" aria-label="Filter by tag">
          <button type="button" className={tag === null ? "chip active" : "chip"} onClick={() => setTag(null)}>
            All
          </button>
          {tags.map((t) => (
            <button key={t} type="button" className={tag === t ? "chip active" : "chip"} onClick={() => setTag(tag === t ? null : t)}>
              {t}
            </button>
          ))}
        </div>
      ) : null}
      <ErrorBox error={list.error} title="Could not load the pipelines" />
      <ErrorBox error={actionError} />
      {list.data && list.data.loadErrors.length > 0 ? (
        <section className="load-errors" aria-label="Load errors">
          <h2>
            {list.data.loadErrors.length} file{list.data.loadErrors.length === 1 ? "" : "s"} failed to load
          </h2>
          <ul>
            {list.data.loadErrors.map((e) => (
              <li key={`${e.file}:${e.task ?? ""}`}>
                <code>{e.file}</code>
                {e.task ? (
                  <>
                    {" "}
                    task <code>{e.task}</code>
                  </>
                ) : null}
                <pre>{e.message}</pre>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && shown.length === 0 ? <Empty>{list.data.pipelines.length === 0 ? "No pipelines yet: add a pipeline file and it appears here." : "No pipeline matches."}</Empty> : null}
      {shown.length > 0 ? (
        <table className="table pipelines-table">
          <thead>
            <tr>
              <th className="col-toggle">Active</th>
              <th>Pipeline</th>
              <th>Schedule</th>
              <th>Next run</th>
              <th>Recent runs</th>
              <th className="col-actions" />
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.id} data-pipeline={p.id} className={p.paused ? "paused" : ""}>
                <td className="col-toggle">
                  <Switch checked={!p.paused} label={p.paused ? `Unpause ${p.id}` : `Pause ${p.id}`} onChange={(active) => void setPaused(p, !active)} />
                </td>
                <td>
                  <Link to={paths.pipeline(p.id)} className="pipeline-name">
                    {p.id}
                  </Link>
                  {p.description ? <div className="muted">{p.description}</div> : null}
                  <div className="tags">
                    {p.tags.map((t) => (
                      <button key={t} type="button" className="tag" onClick={() => setTag(t)}>
                        {t}
                      </button>
                    ))}
                  </div>
                </td>
                <td>
                  <div>{p.scheduleText}</div>
                  {scheduleExpression(p.schedule) ? <code className="muted small">{p.schedule}</code> : null}
                </td>
                <td title={formatDateTime(p.nextRunAt)}>{p.paused ? <span className="muted">paused</span> : p.nextRunAt ? formatRelative(p.nextRunAt) : "—"}</td>
                <td>
                  <RecentRuns runs={p.recentRuns} />
                </td>
                <td className="col-actions">
                  <button type="button" className="button" onClick={() => setTrigger(p.id)} aria-label={`Trigger ${p.id}`}>
                    ▶ Trigger
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {trigger ? <TriggerDialog pipelineId={trigger} onClose={() => setTrigger(null)} /> : null}
    </div>
  );
}

function RecentRuns({ runs }: { runs: RunSummary[] }) {
  if (runs.length === 0) return <span className="muted">no runs yet</span>;
  // Oldest on the left, so the newest run sits at the end like a timeline.
  return (
    <div className="run-squares">
      {[...runs].reverse().map((run) => (
        <Link key={run.id} to={paths.run(run.id)} className="run-square" title={`${formatLogicalDate(run.logicalDate)} · ${stateLabel(run.state)} · ${run.trigger}`}>
          <span data-state={run.state} style={{ background: RUN_STATE_STYLES[run.state].fill }} />
        </Link>
      ))}
    </div>
  );
}

/** Puts a run's new state into its pipeline's recent runs (newest first, at most 10). */
function applyRun(list: PipelineList, run: RunSummary): PipelineList {
  return {
    ...list,
    pipelines: list.pipelines.map((p) => {
      if (p.id !== run.pipeline) return p;
      const known = p.recentRuns.some((r) => r.id === run.id);
      const recentRuns = known ? p.recentRuns.map((r) => (r.id === run.id ? run : r)) : [run, ...p.recentRuns].slice(0, 10);
      return { ...p, recentRuns };
    }),
  };
}
