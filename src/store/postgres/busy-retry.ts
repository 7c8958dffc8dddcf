// Deadlocks (40P01) and serialization failures (40001) are Postgres saying "try again": the transaction that
// lost was rolled back whole, and running it again from the start usually succeeds once the other one has
// committed. Retrying here, in the dialect, keeps them from surfacing as `store_busy` to a scheduler or
// worker that would otherwise stop or log on a condition that clears by itself in milliseconds.
import pg from "pg";
import { WeirError } from "../../common/errors.js";

/** Attempts of one transaction (or one statement outside a transaction) before `store_busy` reaches the caller. */
export const BUSY_ATTEMPTS = 5;
/** Backoff before attempt n+1 is about BUSY_BACKOFF_MS · 2^(n-1), jittered: 5, 10, 20, 40 ms. */
const BUSY_BACKOFF_MS = 5;

/** deadlock_detected, serialization_failure. Not lock_not_available (55P03): a NOWAIT or lock_timeout asked to fail fast. */
const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(["40P01", "40001"]);

/**
 * Whether `error` (or what it wraps: the dialect turns driver errors into `store_busy` WeirErrors with the
 * driver's error as their cause) is a deadlock or serialization failure reported by the server.
 */
function isRetryableConflict(error: unknown): boolean {
  for (let at: unknown = error, depth = 0; at !== undefined && at !== null && depth < 4; depth++) {
    if (at instanceof pg.DatabaseError) return at.code !== undefined && RETRYABLE_SQLSTATES.has(at.code);
    at = at instanceof Error ? at.cause : undefined;
  }
  return false;
}

/**
 * Runs `attempt` until it succeeds, fails for another reason, or failed BUSY_ATTEMPTS times with a deadlock or
 * serialization failure. Safe only where each attempt starts from nothing: a whole transaction (rolled back by
 * the server) or a single autocommit statement. The last failure says how many attempts were made.
 */
export async function retryWhenBusy<T>(attempt: (number: number) => Promise<T>, onRetry?: (error: unknown) => void): Promise<T> {
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (number >= BUSY_ATTEMPTS) throw withAttempts(error, number);
      onRetry?.(error);
      // Jitter: two transactions that deadlocked each other should not meet again at the same instant.
      const delayMs = BUSY_BACKOFF_MS * 2 ** (number - 1) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function withAttempts(error: unknown, attempts: number): unknown {
  if (!(error instanceof WeirError) || error.code !== "store_busy") return error;
  return new WeirError("store_busy", `${error.message.replace(/\.$/, "")} after ${attempts} attempts.`, { input: false, cause: error.cause });
}
