// Live progress of a foreground run. On a terminal: one line per task, redrawn in place with states and
// durations. Piped: one plain line per state change, so logs and CI output stay readable.
import type { TaskState } from "../../engine/states.js";
import type { InstanceTransition } from "../../engine/types.js";
import { formatDuration } from "../../define/duration.js";
import type { RunChange } from "../../scheduler/coordinator.js";

interface TaskLine {
  id: string;
  state: TaskState;
  tries: number;
  startedMs: number | null;
  endedMs: number | null;
  note: string | null;
}

const SYMBOL: Record<TaskState, string> = {
  pending: "·",
  scheduled: "◦",
  queued: "◦",
  running: "▶",
  deferred: "…",
  up_for_retry: "↻",
  success: "✔",
  failed: "✖",
  skipped: "↷",
  upstream_failed: "⊘",
  canceled: "■",
  removed: "–",
};

const COLOR: Partial<Record<TaskState, string>> = {
  running: "\x1b[36m",
  up_for_retry: "\x1b[33m",
  success: "\x1b[32m",
  failed: "\x1b[31m",
  upstream_failed: "\x1b[31m",
  skipped: "\x1b[90m",
  canceled: "\x1b[90m",
};
const RESET = "\x1b[0m";

export interface ProgressRenderer {
  onChange(change: RunChange): void;
  finish(): void;
}

export function createProgressRenderer(stream: NodeJS.WriteStream, taskIds: readonly string[], color: boolean): ProgressRenderer {
  return stream.isTTY ? new LiveRenderer(stream, taskIds, color) : new PlainRenderer(stream);
}

function describeTransition(t: InstanceTransition): string {
  const parts: string[] = [t.to];
  if (t.to === "running" || t.tryNumber > 1) parts.push(`try ${t.tryNumber}`);
  if (t.error) parts.push(`${t.error.name}: ${firstLine(t.error.message)}`);
  if (t.retryAtMs !== undefined) parts.push(`retry at ${new Date(t.retryAtMs).toISOString()}`);
  if (t.reason) parts.push(t.reason);
  return parts.join(" · ");
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

class PlainRenderer implements ProgressRenderer {
  constructor(private readonly stream: NodeJS.WriteStream) {}

  onChange(change: RunChange): void {
    const time = new Date(change.nowMs).toISOString();
    for (const t of change.transitions) {
      if (t.to === "queued" || t.to === "scheduled") continue;
      const id = t.mapIndex >= 0 ? `${t.taskId}[${t.mapIndex}]` : t.taskId;
      this.stream.write(`${time} ${id} ${describeTransition(t)}\n`);
    }
  }

  finish(): void {}
}

class LiveRenderer implements ProgressRenderer {
  private readonly lines = new Map<string, TaskLine>();
  /** Mapped tasks: each instance's latest state, by map index. */
  private readonly mapped = new Map<string, Map<number, TaskState>>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;
  private runLabel = "";
  private runStartedMs = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    taskIds: readonly string[],
    private readonly color: boolean,
  ) {
    // Large graphs would scroll the terminal away: show the first tasks and a summary of the rest.
    for (const id of taskIds) this.lines.set(id, { id, state: "pending", tries: 0, startedMs: null, endedMs: null, note: null });
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  onChange(change: RunChange): void {
    const first = this.runLabel === "";
    this.runLabel = `${change.run.pipelineId} · ${change.run.id} · ${change.runState}`;
    if (change.run.startedMs !== null) this.runStartedMs = change.run.startedMs;
    for (const t of change.transitions) {
      const line = this.lines.get(t.taskId);
      if (!line) continue;
      if (t.mapIndex >= 0) {
        this.onMapped(line, t, change.nowMs);
        continue;
      }
      line.state = t.to;
      line.tries = t.tryNumber;
      if (t.to === "running") {
        line.startedMs = change.nowMs;
        line.endedMs = null;
      } else if (t.to !== "queued" && t.to !== "scheduled" && t.to !== "pending") {
        line.endedMs = change.nowMs;
      }
      line.note = t.error ? `${t.error.name}: ${firstLine(t.error.message)}` : (t.reason ?? null);
    }
    // The first state shows at once; later ones at the next frame (every 100 ms).
    if (first) this.draw();
  }

  /** A mapped task is one line: its instances' states counted, the line's state the most telling of them. */
  private onMapped(line: TaskLine, t: InstanceTransition, nowMs: number): void {
    let states = this.mapped.get(line.id);
    if (!states) this.mapped.set(line.id, (states = new Map()));
    states.set(t.mapIndex, t.to);
    const counts = new Map<TaskState, number>();
    for (const state of states.values()) counts.set(state, (counts.get(state) ?? 0) + 1);
    const rank: TaskState[] = ["running", "up_for_retry", "queued", "scheduled", "pending", "failed", "upstream_failed", "canceled", "success", "skipped", "removed", "deferred"];
    line.state = rank.find((s) => counts.has(s)) ?? t.to;
    if (line.startedMs === null && t.to === "running") line.startedMs = nowMs;
    line.endedMs = [...states.values()].every((s) => s === "success" || s === "failed" || s === "skipped" || s === "upstream_failed" || s === "canceled" || s === "removed") ? nowMs : null;
    line.tries = Math.max(line.tries, t.tryNumber);
    line.note = `${states.size} instances: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}`;
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.draw();
  }

  private draw(): void {
    const now = Date.now();
    const width = this.stream.columns || 100;
    const rows: string[] = [];
    const maxRows = Math.max(5, (this.stream.rows || 30) - 4);
    const all = [...this.lines.values()];
    const shown = all.length > maxRows ? all.filter((l) => l.state !== "pending" && l.state !== "success").slice(0, maxRows - 1) : all;
    for (const line of shown) {
      const duration = line.startedMs === null ? "" : formatDuration((line.endedMs ?? now) - line.startedMs);
      const tries = line.tries > 1 ? ` (try ${line.tries})` : "";
      const note = line.note ? `  ${line.note}` : "";
      const text = `${SYMBOL[line.state]} ${line.id.padEnd(24)} ${line.state.padEnd(15)} ${duration.padStart(8)}${tries}${note}`;
      rows.push(this.paint(line.state, text.slice(0, width - 1)));
    }
    if (shown.length < all.length) {
      const counts = new Map<string, number>();
      for (const l of all) counts.set(l.state, (counts.get(l.state) ?? 0) + 1);
      rows.push(`  ${all.length} tasks: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}`.slice(0, width - 1));
    }
    rows.push(`${this.runLabel} · ${formatDuration(now - this.runStartedMs)}`.slice(0, width - 1));
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    text += rows.map((r) => `\x1b[2K${r}\n`).join("");
    this.stream.write(text);
    this.drawn = rows.length;
  }

  private paint(state: TaskState, text: string): string {
    const code = COLOR[state];
    return this.color && code ? `${code}${text}${RESET}` : text;
  }
}
