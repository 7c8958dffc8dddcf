// The task instances of a run: a virtualized list (only the visible rows exist in the DOM) filled a page
// at a time from the API as you scroll, so a run with 100,000 instances opens as fast as one with ten.
// Live task events update rows in place through an index, without copying the list.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useRef, useState } from "react";
import type { TaskInstanceView, TaskState } from "../../../src/api/types";
import { api } from "../api";
import { durationBetween, formatDuration, formatTime } from "../format";
import { useThrottled } from "../hooks";
import { useLiveEvents } from "../live";
import { TASK_STATES, TASK_STATE_STYLES, stateLabel } from "../states";
import { ErrorBox } from "./ui";

const PAGE = 500;
const ROW = 34;

interface Rows {
  items: TaskInstanceView[];
  index: Map<string, number>;
  next: string | null;
  total: number | null;
  done: boolean;
}

const keyOf = (taskId: string, mapIndex: number) => `${taskId}#${mapIndex}`;

export function TaskList(props: {
  runId: string;
  /** The run's task ids in topological order, for the task filter. */
  tasks: string[];
  selected: { task: string; mapIndex: number } | null;
  onSelect: (instance: TaskInstanceView) => void;
  now: number;
}) {
  const [stateFilter, setStateFilter] = useState<TaskState | "">("");
  const [taskFilter, setTaskFilter] = useState("");
  const rows = useRef<Rows>({ items: [], index: new Map(), next: null, total: null, done: false });
  const [version, setVersion] = useState(0);
  // A 100,000-task run streams events by the thousand: rows change in place at once, the list is drawn
  // again at most once a frame.
  const frame = useRef<number | null>(null);
  const redraw = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = window.requestAnimationFrame(() => {
      frame.current = null;
      setVersion((v) => v + 1);
    });
  }, []);
  useEffect(() => () => {
    if (frame.current !== null) window.cancelAnimationFrame(frame.current);
  }, []);
  const [error, setError] = useState<unknown>(null);
  const loading = useRef(false);
  const generation = useRef(0);
  const parentRef = useRef<HTMLDivElement>(null);
  // Unmapped instances that changed: re-read from the API (a few small requests) for their exact times.
  const changed = useRef(new Set<string>());
  const refreshChanged = useThrottled(() => {
    const ids = [...changed.current].slice(0, 20);
    changed.current.clear();
    const runId = props.runId;
    void Promise.all(ids.map((task) => api.tasks(runId, { task, limit: 1 }).catch(() => null))).then((pages) => {
      let touched = false;
      for (const page of pages) {
        const fresh = page?.items[0];
        const at = fresh ? rows.current.index.get(keyOf(fresh.taskId, fresh.mapIndex)) : undefined;
        if (fresh && at !== undefined) {
          rows.current.items[at] = fresh;
          touched = true;
        }
      }
      if (touched) setVersion((v) => v + 1);
    });
  }, 800);

  const loadPage = useCallback(
    async (reset: boolean) => {
      if (loading.current && !reset) return;
      const mine = reset ? ++generation.current : generation.current;
      const cursor = reset ? null : rows.current.next;
      if (!reset && (rows.current.done || !cursor)) return;
      loading.current = true;
      try {
        const page = await api.tasks(props.runId, { state: stateFilter || undefined, task: taskFilter.trim() || undefined, limit: PAGE, cursor });
        if (mine !== generation.current) return;
        const current: Rows = reset ? { items: [], index: new Map(), next: null, total: null, done: false } : rows.current;
        for (const item of page.items) {
          current.index.set(keyOf(item.taskId, item.mapIndex), current.items.length);
          current.items.push(item);
        }
        current.next = page.next;
        current.done = page.next === null;
        current.total = page.total ?? null;
        rows.current = current;
        setError(null);
        setVersion((v) => v + 1);
      } catch (failure) {
        if (mine === generation.current) setError(failure);
      } finally {
        if (mine === generation.current) loading.current = false;
      }
    },
    [props.runId, stateFilter, taskFilter],
  );

  useEffect(() => {
    loading.current = false;
    void loadPage(true);
  }, [loadPage]);

  const reloadSoon = useThrottled(() => {
    if (rows.current.items.length <= 2000) void loadPage(true);
  }, 500);

  useLiveEvents((event) => {
    if (event.kind === "reconnected") return void loadPage(true);
    // The run changed (a command, the end of the run): a short list is read again, in case an instance
    // changed without its own event.
    if (event.kind === "run" && event.run.id === props.runId) return reloadSoon();
    if (event.kind !== "task" || event.runId !== props.runId) return;
    const at = rows.current.index.get(keyOf(event.taskId, event.mapIndex));
    const item = at === undefined ? undefined : rows.current.items[at];
    if (item && at !== undefined) {
      // The state shows at once; times are the browser's guess until the API's own are read back.
      const now = new Date().toISOString();
      const newTry = event.tryNumber !== item.tryNumber;
      const ended = event.state === "success" || event.state === "failed" || event.state === "skipped" || event.state === "upstream_failed" || event.state === "canceled";
      const startedAt = newTry ? (event.state === "running" ? now : null) : (item.startedAt ?? (event.state === "running" ? now : null));
      rows.current.items[at] = { ...item, state: event.state, tryNumber: event.tryNumber, startedAt, endedAt: ended ? (newTry ? now : (item.endedAt ?? now)) : null };
      redraw();
      if (event.mapIndex < 0) {
        changed.current.add(event.taskId);
        refreshChanged();
      }
    } else {
      // An instance the list does not have: a mapped task expanded (its placeholder replaced by one instance
      // per item). Read the list again while that is cheap; a long list keeps its rows until refreshed.
      reloadSoon();
    }
  });

  const { items, next, total } = rows.current;
  const virtualizer = useVirtualizer({ count: items.length + (next ? 1 : 0), getScrollElement: () => parentRef.current, estimateSize: () => ROW, overscan: 12 });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems[virtualItems.length - 1]?.index ?? 0;
  useEffect(() => {
    if (next && lastIndex >= items.length - 100) void loadPage(false);
  }, [lastIndex, items.length, next, loadPage, version]);

  return (
    <div className="task-list">
      <div className="filters compact">
        <select value={stateFilter} onChange={(e) => setStateFilter(e.target.value as TaskState | "")} aria-label="Filter instances by state">
          <option value="">All states</option>
          {TASK_STATES.map((s) => (
            <option key={s} value={s}>
              {stateLabel(s)}
            </option>
          ))}
        </select>
        <TaskFilter tasks={props.tasks} value={taskFilter} onChange={setTaskFilter} />
        <span className="muted small count" data-testid="instance-count">
          {total !== null ? `${total.toLocaleString()} instances` : `${items.length.toLocaleString()}${next ? "+" : ""} instances`}
        </span>
      </div>
      <ErrorBox error={error} />
      <div className="task-list-head">
        <span>Task</span>
        <span>State</span>
        <span>Try</span>
        <span>Started</span>
        <span>Duration</span>
      </div>
      <div ref={parentRef} className="task-list-scroll" data-testid="task-list">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualItems.map((row) => {
            const item = items[row.index];
            const style = { transform: `translateY(${row.start}px)`, height: ROW };
            if (!item) {
              return (
                <div key="loader" className="task-row loader" style={style}>
                  Loading more…
                </div>
              );
            }
            const isSelected = props.selected?.task === item.taskId && props.selected.mapIndex === item.mapIndex;
            return (
              <button
                type="button"
                key={keyOf(item.taskId, item.mapIndex)}
                className={isSelected ? "task-row selected" : "task-row"}
                style={style}
                data-task={item.taskId}
                data-map-index={item.mapIndex}
                data-state={item.state}
                onClick={() => props.onSelect(item)}
              >
                <span className="task-id" title={item.taskId}>
                  {item.taskId}
                  {item.mapIndex >= 0 ? <span className="map-index">[{item.mapIndex}]</span> : null}
                </span>
                <span>
                  <span className="badge small" style={{ background: TASK_STATE_STYLES[item.state].fill, color: TASK_STATE_STYLES[item.state].ink }}>
                    {stateLabel(item.state)}
                  </span>
                  {item.cached ? <span className="muted small"> cached</span> : null}
                </span>
                <span>{item.tryNumber || "—"}</span>
                <span>{formatTime(item.startedAt)}</span>
                <span>{formatDuration(durationBetween(item.startedAt, item.endedAt, props.now))}</span>
              </button>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/** Choose one task: a list when the run has few tasks, an exact id (Enter) when it has thousands. */
function TaskFilter(props: { tasks: string[]; value: string; onChange: (task: string) => void }) {
  const [text, setText] = useState(props.value);
  if (props.tasks.length <= 500) {
    return (
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)} aria-label="Filter instances by task">
        <option value="">All tasks</option>
        {props.tasks.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      type="search"
      placeholder="Task id, then Enter"
      value={text}
      aria-label="Filter instances by task"
      onChange={(e) => {
        setText(e.target.value);
        if (e.target.value === "") props.onChange("");
      }}
      onKeyDown={(e) => (e.key === "Enter" ? props.onChange(text.trim()) : undefined)}
    />
  );
}
