// Bounds of the local workers' heartbeat settings, shared by the pool (src/executor/heartbeat.ts) and the
// config checks (src/config), which may not import the executor.

/** Fewer misses than this would kill a worker for one late beat; 0 (off) is the other allowed value. */
export const MIN_MISSED_HEARTBEATS = 3;
/** The longest interval a timer takes (2^31 − 1 ms); a longer one would fire at once, every millisecond. */
export const MAX_HEARTBEAT_MS = 2 ** 31 - 1;
