// The scheduler's one clock (DESIGN.md §7). Taken as a dependency so tests can drive time by hand.
export interface Clock {
  now(): number;
  /** Calls `fn` at `atMs` (or as soon as possible if that has passed); returns a cancel function. */
  at(atMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  at(atMs, fn) {
    // setTimeout's delay is a 32-bit int: longer waits re-arm until the time has come. `fn` never runs
    // synchronously, so callers can hold the cancel function before it fires. Timers keep the process
    // alive: a pending retry is work still to do.
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = atMs - Date.now();
      if (delay <= 0) fn();
      else handle = setTimeout(arm, Math.min(delay, 2 ** 31 - 1));
    };
    handle = setTimeout(arm, Math.max(0, Math.min(atMs - Date.now(), 2 ** 31 - 1)));
    return () => clearTimeout(handle);
  },
};
