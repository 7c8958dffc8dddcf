// Small state widgets used on every page: a badge, a square (recent runs, grid cells) and a stacked bar of
// counts per state (a run's instances, a mapped task).
import type { RunState, TaskState, TryState } from "../../../src/api/types";
import { TASK_STATES, TASK_STATE_STYLES, stateLabel } from "../states";

type AnyState = RunState | TaskState | TryState;

export function StateBadge({ state }: { state: AnyState }) {
  const style = TASK_STATE_STYLES[state];
  return (
    <span className="badge" data-state={state} style={{ background: style.fill, color: style.ink }}>
      {stateLabel(state)}
    </span>
  );
}

export function StateDot({ state }: { state: AnyState | null }) {
  const fill = state ? TASK_STATE_STYLES[state].fill : "transparent";
  return <span className="dot" data-state={state ?? "none"} style={{ background: fill }} />;
}

export function CountsBar({ counts, total }: { counts: Partial<Record<TaskState, number>>; total?: number }) {
  const sum = total ?? TASK_STATES.reduce((acc, state) => acc + (counts[state] ?? 0), 0);
  if (sum === 0) return <div className="counts-bar empty" />;
  return (
    <div className="counts-bar" title={countsText(counts)}>
      {TASK_STATES.filter((state) => (counts[state] ?? 0) > 0).map((state) => (
        <span key={state} style={{ flexGrow: counts[state] ?? 0, background: TASK_STATE_STYLES[state].fill }} />
      ))}
    </div>
  );
}

export function countsText(counts: Partial<Record<TaskState, number>>): string {
  return TASK_STATES.filter((state) => (counts[state] ?? 0) > 0)
    .map((state) => `${(counts[state] ?? 0).toLocaleString()} ${stateLabel(state)}`)
    .join(", ");
}

export function CountsLegend({ counts }: { counts: Partial<Record<TaskState, number>> }) {
  return (
    <ul className="legend">
      {TASK_STATES.filter((state) => (counts[state] ?? 0) > 0).map((state) => (
        <li key={state}>
          <StateDot state={state} /> {stateLabel(state)} <b>{(counts[state] ?? 0).toLocaleString()}</b>
        </li>
      ))}
    </ul>
  );
}
