// The Gantt chart of a run's tries: one row per task instance, each try a bar whose pale part is the time
// it waited in the queue and whose coloured part is the time it ran; retries sit side by side on the row.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef } from "react";
import type { GanttBar } from "../../../src/api/types";
import { formatDuration, formatTime } from "../format";
import { navigate, paths } from "../router";
import { TRY_STATE_STYLES, stateLabel } from "../states";
import { Empty } from "./ui";

const ROW = 28;

interface Row {
  key: string;
  task: string;
  mapIndex: number;
  tries: GanttBar[];
}

function ticks(start: number, end: number, count: number): number[] {
  const span = Math.max(1, end - start);
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  const step = steps.find((s) => span / s <= count) ?? steps[steps.length - 1] ?? 86_400_000;
  // Short runs read best as offsets from the start (+200 ms), long ones as clock times on round steps.
  const first = span < 10_000 ? start : Math.ceil(start / step) * step;
  const out: number[] = [];
  // No label in the last few percent: it would be cut off at the right edge.
  for (let t = first; t <= end - span * 0.06; t += step) out.push(t);
  return out;
}

export function Gantt({ tries, runId, now, truncated }: { tries: GanttBar[]; runId: string; now: number; truncated: boolean }) {
  const rows = useMemo(() => {
    const byKey = new Map<string, Row>();
    for (const t of [...tries].sort((a, b) => Date.parse(a.queuedAt) - Date.parse(b.queuedAt) || a.tryNumber - b.tryNumber)) {
      const key = `${t.taskId}#${t.mapIndex}`;
      const row = byKey.get(key) ?? { key, task: t.taskId, mapIndex: t.mapIndex, tries: [] };
      row.tries.push(t);
      byKey.set(key, row);
    }
    return [...byKey.values()];
  }, [tries]);
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW, overscan: 10 });

  if (tries.length === 0) return <Empty>No try has been queued yet.</Empty>;
  const start = Math.min(...tries.map((t) => Date.parse(t.queuedAt)));
  const end = Math.max(start + 10, ...tries.map((t) => (t.endedAt ? Date.parse(t.endedAt) : now)));
  const span = end - start;
  const pct = (ms: number) => `${((ms - start) / span) * 100}%`;
  const width = (a: number, b: number) => `${Math.max(0.15, ((b - a) / span) * 100)}%`;

  return (
    <div className="gantt" data-testid="gantt">
      <div className="gantt-axis">
        <span className="gantt-label muted small">
          {rows.length.toLocaleString()} instance{rows.length === 1 ? "" : "s"} · {formatDuration(span)}
          {truncated ? " · first tries only" : ""}
        </span>
        <div className="gantt-track">
          {ticks(start, end, 6).map((t) => (
            <span key={t} className="gantt-tick" style={{ left: pct(t) }}>
              {span < 10_000 ? `+${formatDuration(t - start)}` : formatTime(new Date(t).toISOString())}
            </span>
          ))}
        </div>
      </div>
      <div ref={parentRef} className="gantt-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index];
            if (!row) return null;
            return (
              <div key={row.key} className="gantt-row" style={{ transform: `translateY(${v.start}px)`, height: ROW }} data-task={row.task}>
                <button type="button" className="gantt-label link" title={row.task} onClick={() => navigate(paths.run(runId, row.task, row.mapIndex))}>
                  {row.task}
                  {row.mapIndex >= 0 ? <span className="map-index">[{row.mapIndex}]</span> : null}
                  {row.tries.length > 1 ? <span className="retries"> {row.tries.length} tries</span> : null}
                </button>
                <div className="gantt-track">
                  {row.tries.map((t) => {
                    const queued = Date.parse(t.queuedAt);
                    const started = t.startedAt ? Date.parse(t.startedAt) : null;
                    const ended = t.endedAt ? Date.parse(t.endedAt) : now;
                    const waitEnd = started ?? ended;
                    const title = `${row.task} try ${t.tryNumber}: ${stateLabel(t.state)}\nqueued ${formatDuration(waitEnd - queued)}${started !== null ? `, ran ${formatDuration(ended - started)}` : ""}`;
                    return (
                      <span key={t.tryNumber} title={title} data-try={t.tryNumber} data-state={t.state}>
                        <span className="gantt-wait" style={{ left: pct(queued), width: width(queued, waitEnd) }} />
                        {started !== null ? (
                          <span className="gantt-bar" style={{ left: pct(started), width: width(started, ended), background: TRY_STATE_STYLES[t.state].fill }}>
                            {row.tries.length > 1 ? <span className="gantt-try">#{t.tryNumber}</span> : null}
                          </span>
                        ) : null}
                      </span>
                    );
                  })}
                </div>
              </div>
            );
          })}
        </div>
      </div>
      <div className="gantt-legend muted small">
        <span>
          <span className="gantt-wait sample" /> queued
        </span>
        {(["running", "success", "failed", "canceled"] as const).map((s) => (
          <span key={s}>
            <span className="dot" style={{ background: TRY_STATE_STYLES[s].fill }} /> {stateLabel(s)}
          </span>
        ))}
      </div>
    </div>
  );
}
