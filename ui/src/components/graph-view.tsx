// The DAG drawn from the ELK layout: each node coloured by the selected run's state of its task; a mapped
// task (or a collapsed group of siblings) is one node with a bar of counts per state.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { StateCounts, TaskGroupView, TaskNodeView, TaskState } from "../../../src/api/types";
import { TASK_STATE_STYLES, stateLabel, summaryState } from "../states";
import { countsText } from "./state";
import { layoutGraph, type GraphLayout, type GraphNode } from "./graph-layout";
import { ErrorBox } from "./ui";

function mergeCounts(tasks: string[], counts: Record<string, StateCounts> | null): StateCounts {
  const merged: StateCounts = {};
  if (!counts) return merged;
  for (const task of tasks) {
    for (const [state, n] of Object.entries(counts[task] ?? {}) as [TaskState, number][]) merged[state] = (merged[state] ?? 0) + n;
  }
  return merged;
}

export function GraphView(props: {
  tasks: TaskNodeView[];
  /** The grouped nodes of a graph the server collapsed (a huge pipeline), by node id. */
  groups: Record<string, TaskGroupView> | null;
  counts: Record<string, StateCounts> | null;
  selected: string | null;
  onSelect: (node: GraphNode) => void;
}) {
  const [layout, setLayout] = useState<GraphLayout | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [zoom, setZoom] = useState<number | "fit">("fit");
  const canvas = useRef<HTMLDivElement>(null);
  const [canvasWidth, setCanvasWidth] = useState(0);
  // Layout depends on the graph's shape only; states recolour without laying out again.
  const shape = useMemo(() => JSON.stringify(props.tasks.map((t) => [t.id, t.upstream, t.map])), [props.tasks]);
  const byId = useMemo(() => new Map(props.tasks.map((t) => [t.id, t])), [props.tasks]);

  useEffect(() => {
    let current = true;
    setLayout(null);
    layoutGraph(props.tasks, new Set(Object.keys(props.groups ?? {}))).then(
      (result) => current && setLayout(result),
      (failure: unknown) => current && setError(failure),
    );
    return () => {
      current = false;
    };
  }, [shape]);

  useLayoutEffect(() => {
    const measure = () => setCanvasWidth(canvas.current?.clientWidth ?? 0);
    measure();
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [layout]);

  if (error) return <ErrorBox error={error} title="Could not lay out the graph" />;
  const sizeOf = (node: GraphNode): number => node.tasks.reduce((n, id) => n + (props.groups?.[id]?.size ?? 1), 0);
  const firstOf = (node: GraphNode): string => props.groups?.[node.tasks[0] ?? ""]?.tasks[0] ?? node.tasks[0] ?? "";
  if (!layout) return <div className="graph-loading">Laying out {props.tasks.length.toLocaleString()} {props.tasks.length === 1 ? "node" : "nodes"}…</div>;

  // "Fit" shrinks a wide graph to the page, but not below a readable size: past that, it scrolls.
  const fitScale = canvasWidth > 0 ? Math.min(1.2, Math.max(0.8, (canvasWidth - 24) / Math.max(1, layout.width))) : 1;
  const scale = zoom === "fit" ? fitScale : zoom;
  return (
    <div className="graph">
      <div className="graph-tools">
        {layout.collapsed || props.groups ? <span className="muted small">Large graph: tasks with the same neighbours (or, failing that, the same depth) are grouped.</span> : null}
        <button type="button" className="button small" onClick={() => setZoom((z) => Math.max(0.25, (z === "fit" ? 1 : z) / 1.25))} aria-label="Zoom out">
          −
        </button>
        <button type="button" className="button small" onClick={() => setZoom("fit")}>
          Fit
        </button>
        <button type="button" className="button small" onClick={() => setZoom((z) => Math.min(3, (z === "fit" ? 1 : z) * 1.25))} aria-label="Zoom in">
          +
        </button>
      </div>
      <div className="graph-canvas" ref={canvas}>
        <svg
          role="img"
          aria-label="Pipeline graph"
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width * scale}
          height={layout.height * scale}
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#9aa5b1" />
            </marker>
          </defs>
          {layout.edges.map((edge) => (
            <polyline key={edge.id} className="edge" points={edge.points.map((p) => `${p.x},${p.y}`).join(" ")} markerEnd="url(#arrow)" />
          ))}
          {layout.nodes.map((node) => (
            <Node key={node.id} node={node} size={sizeOf(node)} first={firstOf(node)} task={byId.get(node.tasks[0] ?? "") ?? null} counts={mergeCounts(node.tasks, props.counts)} selected={props.selected === node.id} onSelect={props.onSelect} />
          ))}
        </svg>
      </div>
    </div>
  );
}

function Node(props: { node: GraphNode; size: number; first: string; task: TaskNodeView | null; counts: StateCounts; selected: boolean; onSelect: (node: GraphNode) => void }) {
  const { node, counts } = props;
  const state = summaryState(counts);
  const style = state ? TASK_STATE_STYLES[state] : null;
  const group = props.size > 1;
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  // A group's count of tasks goes below its first task's name: the top line keeps room for the ×N of instances.
  const label = group ? `${props.first} …` : node.id;
  const sub = group ? `${props.size.toLocaleString()} tasks` : `${props.task?.kind ?? "task"}${node.mapped ? " · mapped" : ""}`;
  // Mapped and grouped nodes keep room on the right for their ×N count.
  const maxChars = Math.floor((node.width - (node.mapped || group ? 70 : 28)) / 7.6);
  let offset = 0;
  return (
    <g
      className={props.selected ? "node selected" : "node"}
      data-task={node.tasks.join(",")}
      data-state={state ?? "none"}
      transform={`translate(${node.x},${node.y})`}
      onClick={() => props.onSelect(node)}
      role="button"
      tabIndex={0}
      onKeyDown={(e) => (e.key === "Enter" || e.key === " " ? props.onSelect(node) : undefined)}
    >
      <title>{`${group ? `${props.size.toLocaleString()} tasks: ${props.first} …` : node.tasks.join(", ")}${state ? `\n${countsText(counts)}` : "\nno instances in this run"}`}</title>
      <rect className="node-box" width={node.width} height={node.height} rx="8" style={style ? { stroke: style.fill } : undefined} />
      <rect className="node-stripe" width="8" height={node.height} rx="4" style={{ fill: style?.fill ?? "#e4e7eb" }} />
      <text className="node-label" x="18" y="20">
        {label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label}
      </text>
      <text className="node-sub" x="18" y="37">
        {sub}
        {state && !node.mapped && !group ? ` · ${stateLabel(state)}` : ""}
      </text>
      {(node.mapped || group) && total > 0 ? (
        <g transform={`translate(18, 46)`}>
          {Object.entries(counts).map(([s, n]) => {
            const width = ((n ?? 0) / total) * (node.width - 30);
            const x = offset;
            offset += width;
            return <rect key={s} x={x} y="0" width={width} height="8" style={{ fill: TASK_STATE_STYLES[s as TaskState].fill }} />;
          })}
        </g>
      ) : null}
      {(node.mapped || group) && total > 0 ? (
        <text className="node-count" x={node.width - 10} y="20" textAnchor="end">
          ×{total.toLocaleString()}
        </text>
      ) : null}
    </g>
  );
}
