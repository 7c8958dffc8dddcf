// W5 in bench/harness.ts: following one very large run (first try running, each tenth of the instances done,
// the heap before, during and after) and capping it rather than hanging.
import type { Coordinator } from "../src/scheduler/coordinator.js";

/**
 * W5: fork the workers first on a tiny file (untimed), then time the load of the big file in one worker
 * alone (`validateMs`: bundle, import, build and compile the graph, send it over IPC); follow the run's
 * progress (first try running, every tenth of the instances done), sample the heap, and stop at `capMs`
 * rather than hang. Start the harness with --expose-gc for the live-heap figures.
 */
export interface DagOptions {
  /** A one-task pipeline file: loading it forks every worker before the timed load. */
  forkFile: string;
  /** Give up on the run after this long (ms): report how far it got. */
  capMs: number;
}

/** W5's figures (all times in ms from the first startRun unless said otherwise). */
export interface DagFigures {
  validateMs: number;
  saveVersionMs: number;
  createRunMs: number;
  /** The first try committed running. */
  firstRunningMs: number | null;
  /** Instances done (success) when the run ended or the cap stopped it. */
  done: number;
  capped: boolean;
  /** When each tenth of the instances was done: [10 %, 20 %, …]. */
  tenths: number[];
  /** heapUsed before the first startRun, after a full GC. */
  heapBeforeMb: number | null;
  /** The largest heapUsed sampled (every 20 ms) during the run: live objects and not yet collected garbage. */
  heapPeakMb: number;
  /** heapUsed right after a full GC when half the instances were done (the run's live heap, mid-run). */
  heapLiveMidMb: number | null;
  /** heapUsed just after the run ended (no GC forced), and after a full GC. */
  heapAfterMb: number;
  heapAfterGcMb: number | null;
}

export const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;

/** heapUsed after a full GC (MB), or null without --expose-gc. */
export function liveHeapMb(): number | null {
  if (!gc) return null;
  gc();
  return process.memoryUsage().heapUsed / MB;
}

/**
 * W5: listens to the coordinator's committed changes (first try running, instances done, the live heap at
 * half way), samples heapUsed every 20 ms, and arms the cap (`cap` resolves null when it is reached).
 */
export function followRun(coordinator: Coordinator, started: number, instances: number, capMs: number, heapBeforeMb: number | null) {
  let firstRunning: number | null = null;
  let done = 0;
  const tenths: number[] = [];
  let heapPeak = process.memoryUsage().heapUsed;
  let heapLiveMid: number | null = null;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  const stopListening = coordinator.onChange((change) => {
    for (const t of change.transitions) {
      if (firstRunning === null && t.to === "running") firstRunning = performance.now() - started;
      if (t.to !== "success") continue;
      done++;
      if (done % Math.max(1, Math.floor(instances / 10)) === 0 && tenths.length < 10) tenths.push(performance.now() - started);
      if (done === Math.floor(instances / 2)) heapLiveMid = liveHeapMb();
    }
  });
  let capTimer: NodeJS.Timeout | undefined;
  const cap = new Promise<null>((resolve) => {
    capTimer = setTimeout(() => resolve(null), capMs);
  });
  return {
    cap,
    figures(validateMs: number, saveVersionMs: number, createRunMs: number, capped: boolean): DagFigures {
      clearTimeout(capTimer);
      clearInterval(sampler);
      stopListening();
      const heapAfter = process.memoryUsage().heapUsed;
      heapPeak = Math.max(heapPeak, heapAfter);
      return {
        validateMs,
        saveVersionMs,
        createRunMs,
        firstRunningMs: firstRunning,
        done,
        capped,
        tenths,
        heapBeforeMb,
        heapPeakMb: heapPeak / MB,
        heapLiveMidMb: heapLiveMid,
        heapAfterMb: heapAfter / MB,
        heapAfterGcMb: liveHeapMb(),
      };
    },
  };
}
