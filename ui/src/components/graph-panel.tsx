// The graph tab: choose a run (latest by default), see the DAG of that run's pipeline version coloured by its
// states (GET /pipelines/:id/graph?run=), click a node for the task's definition and its instances.
import { useState } from "react";
import type { GraphView as Graph, RunSummary, StateCounts } from "../../../src/api/types";
import { api } from "../api";
import { formatLogicalDate } from "../format";
import { useLoad, useThrottled } from "../hooks";
import { useLiveEvents } from "../live";
import { Link, paths, setSearch, useLocation } from "../router";
import { stateLabel } from "../states";
import type { GraphNode } from "./graph-layout";
import { GraphView } from "./graph-view";
import { CountsLegend } from "./state";
import { ErrorBox, Loading } from "./ui";

export function GraphPanel({ pipelineId, recentRuns }: { pipelineId: string; recentRuns: RunSummary[] | null }) {
  const { search } = useLocation();
  const chosen = search.get("run");
  // The latest run is asked for on its own (a tiny request), so the graph need not wait for the pipeline's
  // details; once they come, their newest run is followed as runs are created.
  const latest = useLoad(async () => (chosen ? null : ((await api.runs({ pipeline: pipelineId, limit: 1 })).items[0]?.id ?? null)), [pipelineId, chosen]);
  const ready = chosen !== null || !latest.loading;
  const runId = chosen ?? recentRuns?.[0]?.id ?? latest.data ?? null;
  const graph = useLoad(async () => (ready ? api.graph(pipelineId, runId) : null), [pipelineId, runId, ready]);
  const runs = recentRuns ?? [];
  const [selected, setSelected] = useState<GraphNode | null>(null);
  // Recolouring re-reads the graph with its counts: for a graph of 100,000 tasks, not twice a second.
  const refetch = useThrottled(graph.reload, (graph.data?.taskCount ?? graph.data?.tasks.length ?? 0) > 5000 ? 10_000 : 500);
  useLiveEvents((event) => {
    if ((event.kind === "task" && event.runId === runId) || (event.kind === "run" && event.run.id === runId)) refetch();
  });
  const hasRun = graph.data?.runId != null;

  return (
    <div className="graph-panel">
      <div className="graph-main">
        <div className="graph-head">
          <label>
            Run{" "}
            <select value={runId ?? ""} onChange={(e) => setSearch({ run: e.target.value || null })} aria-label="Run shown in the graph">
              {runs.length === 0 && !runId ? <option value="">no runs yet</option> : null}
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {formatLogicalDate(r.logicalDate)} · {stateLabel(r.state)} · {r.trigger}
                </option>
              ))}
              {runId && !runs.some((r) => r.id === runId) ? <option value={runId}>{runId}</option> : null}
            </select>
          </label>
          {runId ? <Link to={paths.run(runId)}>Open run →</Link> : null}
          {graph.data && hasRun ? <CountsLegend counts={totalCounts(graph.data.counts)} /> : null}
        </div>
        <ErrorBox error={graph.error} />
        {graph.data ? (
          <GraphView tasks={graph.data.tasks} groups={graph.data.groups ?? null} counts={hasRun ? graph.data.counts : null} selected={selected?.id ?? null} onSelect={setSelected} />
        ) : graph.error ? null : (
          <Loading />
        )}
      </div>
      {selected && graph.data ? <NodeDetails node={selected} graph={graph.data} onClose={() => setSelected(null)} /> : null}
    </div>
  );
}

function totalCounts(counts: Record<string, StateCounts>): StateCounts {
  const total: StateCounts = {};
  for (const perTask of Object.values(counts)) {
    for (const [state, n] of Object.entries(perTask) as [keyof StateCounts, number][]) total[state] = (total[state] ?? 0) + n;
  }
  return total;
}

/** A collapsed group lists its first tasks only: a fan-out of 100,000 must not become 100,000 links. */
const LIST_MAX = 200;

function NodeDetails({ node, graph, onClose }: { node: GraphNode; graph: Graph; onClose: () => void }) {
  const byId = new Map(graph.tasks.map((t) => [t.id, t]));
  // A node of a collapsed graph from the server may stand for a group: its size and first task ids come along.
  const groups = graph.groups ?? {};
  const size = node.tasks.reduce((n, id) => n + (groups[id]?.size ?? 1), 0);
  const ids: string[] = [];
  for (const id of node.tasks) {
    if (ids.length >= LIST_MAX) break;
    ids.push(...(groups[id]?.tasks ?? [id]).slice(0, LIST_MAX - ids.length));
  }
  const first = size === 1 ? byId.get(node.tasks[0] ?? "") : undefined;
  const runId = graph.runId;
  return (
    <aside className="side-panel" aria-label="Task details">
      <header>
        <h3>{size > 1 ? `${size.toLocaleString()} tasks` : first?.id}</h3>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close details">
          ×
        </button>
      </header>
      {size > 1 ? (
        <ul className="plain-list">
          {ids.map((id) => (
            <li key={id}>{runId ? <Link to={paths.run(runId, id)}>{id}</Link> : id}</li>
          ))}
          {size > ids.length ? <li className="muted">… and {(size - ids.length).toLocaleString()} more</li> : null}
        </ul>
      ) : null}
      {first && size === 1 ? (
        <>
          {first.description ? <p>{first.description}</p> : null}
          <dl className="kv">
            <dt>Kind</dt>
            <dd>{first.kind}</dd>
            <dt>Upstream</dt>
            <dd>{first.upstream.length ? first.upstream.join(", ") : "—"}</dd>
            <dt>Trigger rule</dt>
            <dd>{first.trigger}</dd>
            {first.map ? (
              <>
                <dt>Mapped over</dt>
                <dd>{first.map}</dd>
              </>
            ) : null}
            <dt>Retries</dt>
            <dd>{first.retries}</dd>
            <dt>Timeout</dt>
            <dd>{first.timeoutMs === null ? "—" : `${first.timeoutMs / 1000} s`}</dd>
            <dt>Queue · pool</dt>
            <dd>
              {first.queue} · {first.pool}
            </dd>
            <dt>Priority</dt>
            <dd>{first.priority}</dd>
            <dt>Cache</dt>
            <dd>{first.cache ? "yes" : "no"}</dd>
          </dl>
          {first.command ? <pre className="code">{first.command}</pre> : null}
          {runId ? (
            <>
              <h4>In this run</h4>
              {graph.counts[first.id] ? <CountsLegend counts={graph.counts[first.id] ?? {}} /> : <p className="muted">No instance yet.</p>}
              <Link to={paths.run(runId, first.id)} className="button small">
                Instances and logs →
              </Link>
            </>
          ) : null}
        </>
      ) : null}
    </aside>
  );
}
