// The coordinator's timers: retry and run-timeout timers on its Clock (each delivers an event to the run),
// and the keepalive interval that keeps the process alive while runs are active.
import type { EngineEvent } from "../engine/types.js";
import type { Clock } from "./clock.js";
import type { ActiveRun } from "./dispatch.js";

/** While runs are active, a tick at least this often: a safety net, not the way work is found. */
const KEEPALIVE_MS = 1000;

export class RunTimers {
  private readonly timers = new Set<() => void>();
  private keepalive: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly enqueue: (runId: string, event: EngineEvent) => void,
    private readonly tick: () => void,
  ) {}

  /** Delivers `event` to the run at `atMs` (clock time). */
  at(runId: string, atMs: number, event: EngineEvent): void {
    const cancel = this.clock.at(atMs, () => {
      this.timers.delete(cancel);
      this.enqueue(runId, event);
    });
    this.timers.add(cancel);
  }

  /** A pipeline `timeout` (dagrun timeout) counts from the run's start; a resumed run keeps its start. */
  runTimeout(active: ActiveRun): void {
    const timeoutMs = active.graph.timeoutMs;
    if (timeoutMs === null || active.record.startedMs === null) return;
    this.at(active.record.id, active.record.startedMs + timeoutMs, { kind: "run_timed_out", timeoutMs });
  }

  /** Keeps the process alive while runs are active, and re-checks for work now and then. */
  startKeepalive(): void {
    if (this.keepalive) return;
    this.keepalive = setInterval(this.tick, KEEPALIVE_MS);
  }

  stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
  }

  /** Cancels every timer and the keepalive. */
  close(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.stopKeepalive();
  }
}
