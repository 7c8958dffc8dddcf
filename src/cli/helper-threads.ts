// A process that drives runs (weir run, dev, scheduler) lowers the priority of its helper threads: V8 starts
// a fixed pool of them (JIT compilation, concurrent GC) whatever the machine's cores, and libuv adds its own.
// On a small machine they compete for the cores with the event loop that commits results and dispatches
// tries, and with the workers: on 2 cores, the 2,000-task fan-out (bench W2) found the event loop waiting
// for a core 40% of the time, mostly behind V8's compiler threads. At a lower priority they run on the CPU
// the event loop and the workers leave idle; V8 does their work on the main thread when they lag.
import { readdirSync } from "node:fs";
import { setPriority } from "node:os";

/** The nice value helper threads get unless WEIR_HELPER_NICE says otherwise (0: left as they are). */
export const DEFAULT_HELPER_NICE = 19;

/**
 * Renices every thread of this process but the main one (Linux, where a nice value is per thread; elsewhere
 * nothing). Threads made later (libuv's pool starts on first use) inherit the main thread's priority.
 * Returns how many threads it reniced.
 */
export function lowerHelperThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WEIR_HELPER_NICE;
  const nice = raw === undefined || raw.trim() === "" ? DEFAULT_HELPER_NICE : Number(raw);
  if (process.platform !== "linux" || nice === 0) return 0;
  let tids: number[];
  try {
    tids = readdirSync("/proc/self/task").map(Number);
  } catch {
    return 0;
  }
  let lowered = 0;
  for (const tid of tids) {
    if (tid === process.pid || !Number.isInteger(tid)) continue;
    try {
      setPriority(tid, nice);
      lowered++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return lowered;
}
