// Liveness of local worker processes. A worker that exits is seen by its "close" event; one that is
// stopped (SIGSTOP, a debugger, a frozen container) or wedged as a whole process never exits and would
// hold its try forever. Each worker beats from a thread of its own (src/worker/main.ts) onto a pipe
// separate from the IPC channel, so a task that blocks the worker's main thread with synchronous work
// still beats and the per-message path pays nothing; the pool kills a worker silent for too long.

/** What the watch needs of a worker (a WorkerHandle; structural, so worker-handle.ts can import this file). */
export interface BeatingWorker {
  readonly state: string;
  lastBeatMs: number | null;
}

export interface HeartbeatSettings {
  /** How often a worker beats (WEIR_LOCAL_HEARTBEAT_MS, default 1000). */
  heartbeatMs: number;
  /** Beats missed in a row after which a worker is hung and killed; 0 turns detection off (WEIR_LOCAL_MISSED_HEARTBEATS, default 30). */
  missedHeartbeats: number;
}

export const DEFAULT_HEARTBEAT_MS = 1000;
export const DEFAULT_MISSED_HEARTBEATS = 30;

/** Settings from the environment; a bad value falls back to the default (the CLI refuses it earlier, src/config). */
export function heartbeatSettings(env: NodeJS.ProcessEnv = process.env): HeartbeatSettings {
  return {
    heartbeatMs: wholeNumber(env.WEIR_LOCAL_HEARTBEAT_MS, 1) ?? DEFAULT_HEARTBEAT_MS,
    missedHeartbeats: wholeNumber(env.WEIR_LOCAL_MISSED_HEARTBEATS, 0) ?? DEFAULT_MISSED_HEARTBEATS,
  };
}

function wholeNumber(raw: string | undefined, min: number): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min ? n : undefined;
}

export interface HeartbeatWatchOptions<W extends BeatingWorker> extends HeartbeatSettings {
  workers: () => Iterable<W>;
  /** A worker that beat at least once has been silent for `silentMs`: the pool kills it. */
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
    // If this process was itself stalled (a long synchronous stretch, a suspended machine), the beats
    // that arrived meanwhile are still unread: nothing can be concluded, so everyone starts afresh.
    const stalled = now - this.lastCheckMs > 3 * this.options.heartbeatMs;
    this.lastCheckMs = now;
    const windowMs = this.options.missedHeartbeats * this.options.heartbeatMs;
    for (const worker of this.options.workers()) {
      // A worker that never beat (still starting, or a worker script without the beat thread) is not judged.
      if (worker.state === "dead" || worker.lastBeatMs === null) continue;
      if (stalled) worker.lastBeatMs = now;
      else if (now - worker.lastBeatMs > windowMs) this.options.onHung(worker, Math.round(now - worker.lastBeatMs));
    }
  }
}
