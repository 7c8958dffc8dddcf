// Airflow's grid: runs as columns (oldest left), tasks as rows, one coloured cell per task instance; a
// bar per run above shows its duration. Clicking a cell opens that run with the task selected.
import type { GridView as Grid } from "../../../src/api/types";
import { durationBetween, formatDuration, formatLogicalDate } from "../format";
import { navigate, paths } from "../router";
import { RUN_STATE_STYLES, TASK_STATE_STYLES, stateLabel } from "../states";
import { Empty } from "./ui";

export function GridView({ grid }: { grid: Grid }) {
  if (grid.runs.length === 0) return <Empty>No runs yet: trigger one and it appears here.</Empty>;
  // The API lists runs newest first; the grid reads left to right in time.
  const order = grid.runs.map((_, i) => i).reverse();
  const durations = grid.runs.map((r) => durationBetween(r.startedAt, r.endedAt) ?? 0);
  const longest = Math.max(1, ...durations);
  return (
    <div className="grid-wrap">
      <table className="grid">
        <thead>
          <tr className="grid-bars">
            <th />
            {order.map((i) => {
              const run = grid.runs[i];
              if (!run) return null;
              const height = Math.max(4, ((durations[i] ?? 0) / longest) * 60);
              return (
                <th key={run.id}>
                  <button
                    type="button"
                    className="grid-bar"
                    title={`${formatLogicalDate(run.logicalDate)} · ${stateLabel(run.state)} · ${formatDuration(durations[i] ?? null)}`}
                    style={{ height, background: RUN_STATE_STYLES[run.state].fill }}
                    onClick={() => navigate(paths.run(run.id))}
                    aria-label={`Run ${run.id}`}
                  />
                </th>
              );
            })}
          </tr>
          <tr className="grid-dates">
            <th />
            {order.map((i) => {
              const run = grid.runs[i];
              return run ? (
                <th key={run.id}>
                  <span>{formatLogicalDate(run.logicalDate).slice(0, 10)}</span>
                </th>
              ) : null;
            })}
          </tr>
        </thead>
        <tbody>
          {grid.tasks.map((task, t) => (
            <tr key={task}>
              <th className="grid-task" title={task}>
                {task}
              </th>
              {order.map((i) => {
                const run = grid.runs[i];
                const state = grid.cells[i]?.[t] ?? null;
                if (!run) return null;
                return (
                  <td key={run.id}>
                    <button
                      type="button"
                      className="grid-cell"
                      data-state={state ?? "none"}
                      style={state ? { background: TASK_STATE_STYLES[state].fill } : undefined}
                      title={`${task} · ${formatLogicalDate(run.logicalDate)} · ${state ? stateLabel(state) : "no status"}`}
                      onClick={() => navigate(paths.run(run.id, task))}
                    />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
