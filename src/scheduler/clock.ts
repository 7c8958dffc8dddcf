// The scheduler's one clock (DESIGN.md §7). Taken as a dependency so tests can drive time by hand.
export interface Clock {
  now(): number;
  /** Calls `fn` at `atMs` (or as soon as possible if that has passed); returns a cancel function. */
  at(atMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  at(atMs, fn) {
    // setTimeout's delay is a 32-bit int: longer waits re-arm until the time has come.
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = atMs - Date.now();
      if (delay <= 0) {
        fn();
        return;
      }
      handle = setTimeout(arm, Math.min(delay, 2 ** 31 - 1));
      handle.unref?.();
    };
    arm();
    return () => clearTimeout(handle);
  },
};
