// Liveness of local worker processes. A worker that exits is seen by its "close" event; one that is
// stopped (SIGSTOP, a debugger, a frozen container) or wedged as a whole process never exits and would
// hold its try forever. Each worker beats from a thread of its own (src/worker/watchdog.ts, started at
// its first request) onto a pipe separate from the IPC channel, so a task that blocks the worker's main
// thread with synchronous work still beats and the per-message path pays nothing; the pool kills a
// worker silent for too long, and one that never becomes ready.

import { MAX_HEARTBEAT_MS, MIN_MISSED_HEARTBEATS } from "../common/heartbeat-limits.js";

/** What the watch needs of a worker (a WorkerHandle; structural, so worker-handle.ts can import this file). */
export interface BeatingWorker {
  readonly state: string;
  /**
   * Its last sign of life, from which silence is counted: its fork while it starts, then its first request
   * (its beat thread starts with it, src/worker/watchdog.ts), then each beat. Null while it is ready but
   * has never been asked anything: nothing beats then, and nothing waits on it.
   */
  lastBeatMs: number | null;
}

export interface HeartbeatSettings {
  /** How often a worker beats (WEIR_LOCAL_HEARTBEAT_MS, default 1000). */
  heartbeatMs: number;
  /** Beats missed in a row after which a worker is hung and killed, at least 3; 0 turns detection off (WEIR_LOCAL_MISSED_HEARTBEATS, default 30). */
  missedHeartbeats: number;
}

export const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_MISSED_HEARTBEATS = 30;

/** Settings from the environment; a bad value falls back to the default (the CLI refuses it earlier, src/config). */
export function heartbeatSettings(env: NodeJS.ProcessEnv = process.env): HeartbeatSettings {
  return {
    heartbeatMs: wholeNumber(env.WEIR_LOCAL_HEARTBEAT_MS, 1, MAX_HEARTBEAT_MS) ?? DEFAULT_HEARTBEAT_MS,
    missedHeartbeats: missedHeartbeatsOf(env.WEIR_LOCAL_MISSED_HEARTBEATS) ?? DEFAULT_MISSED_HEARTBEATS,
  };
}

function missedHeartbeatsOf(raw: string | undefined): number | undefined {
  const n = wholeNumber(raw, 0, Number.MAX_SAFE_INTEGER);
  return n === 0 || (n !== undefined && n >= MIN_MISSED_HEARTBEATS) ? n : undefined;
}

function wholeNumber(raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

export interface HeartbeatWatchOptions<W extends BeatingWorker> extends HeartbeatSettings {
  workers: () => Iterable<W>;
  /** Longest a worker may take from its fork to "ready": it sends no beats before its first request. */
  startLimitMs: number;
  /** A worker has been silent for `silentMs` (one still `starting` never became ready): the pool kills it. */
  onHung: (worker: W, silentMs: number) => void;
}

/** One timer per pool, not per worker; it holds no handle, so it never keeps the parent alive. */
export class HeartbeatWatch<W extends BeatingWorker> {
  private readonly timer: NodeJS.Timeout | undefined;
  private lastCheckMs = performance.now();

  constructor(private readonly options: HeartbeatWatchOptions<W>) {
    if (options.missedHeartbeats > 0) {
      this.timer = setInterval(() => this.check(), options.heartbeatMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private check(): void {
    const now = performance.now();
    // A stretch in which this process could not check (a long synchronous stretch, a suspended machine)
    // is credited to every worker: only the silence this process could have seen counts. Crediting the
    // stall, not forgiving all silence, means a parent that stalls again and again still finds a worker
    // that really went silent. Beats that arrived meanwhile are still unread (timers run before I/O):
    // judged after the poll phase (setImmediate), they are counted first.
    const elapsed = now - this.lastCheckMs;
    const stallMs = elapsed > 2 * this.options.heartbeatMs ? elapsed - this.options.heartbeatMs : 0;
    this.lastCheckMs = now;
    if (stallMs > 0) {
      for (const worker of this.options.workers()) if (worker.lastBeatMs !== null) worker.lastBeatMs = Math.min(now, worker.lastBeatMs + stallMs);
    }
    setImmediate(() => this.judge());
  }

  private judge(): void {
    const now = performance.now();
    const windowMs = this.options.missedHeartbeats * this.options.heartbeatMs;
    for (const worker of this.options.workers()) {
      if (worker.state === "dead" || worker.lastBeatMs === null) continue;
      const limitMs = worker.state === "starting" ? this.options.startLimitMs : windowMs;
      if (now - worker.lastBeatMs > limitMs) this.options.onHung(worker, Math.round(now - worker.lastBeatMs));
    }
  }
}
