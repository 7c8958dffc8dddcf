// When a failed try may be retried and after how long. Jitter is derived from the try's identity, not
// drawn at random, so the scheduler can replay any decision and get the same retry time.
import type { RetryPolicy, TaskFailure } from "./types.js";

/** True when try `tryNumber` (1-based) failing with `failure` leaves another try to make. */
/** Lost tries (the worker or the driver died, not the task) are retried at once, at most this many times. */
export const MAX_LOST_TRIES = 5;

/**
 * Whether a try that failed may be followed by another. A lost try doesn't count against `retries`
 * (it was the infrastructure's fault), up to MAX_LOST_TRIES; `lostTries` counts the earlier lost ones.
 */
export function canRetry(policy: RetryPolicy, tryNumber: number, failure: TaskFailure, lostTries = 0): boolean {
  if (!failure.retryable) return false;
  if (failure.kind === "lost") return lostTries < MAX_LOST_TRIES;
  return tryNumber - lostTries <= policy.retries;
}

/**
 * Delay before the retry that follows `failedTries` failed tries. Exponential backoff is Airflow's:
 * base = retryDelayMs · 2^(failedTries−1), plus up to one more base of jitter, capped at maxRetryDelayMs
 * (the cap includes the jitter, so a capped delay has none).
 */
export function retryDelayMs(policy: RetryPolicy, failedTries: number, jitterSample: number): number {
  if (policy.backoff === "fixed") return policy.retryDelayMs;
  const exponent = Math.max(0, failedTries - 1);
  const base = policy.retryDelayMs * 2 ** exponent;
  // Clamp so a sample of exactly 1 (or garbage) can't reach 2·base or go negative.
  const sample = Number.isFinite(jitterSample) ? Math.min(Math.max(jitterSample, 0), MAX_SAMPLE) : 0;
  const delay = Math.floor(base + sample * base);
  // 2^exponent overflows to Infinity for absurd try counts; the cap still gives a finite delay.
  return Math.min(delay, policy.maxRetryDelayMs);
}

const MAX_SAMPLE = 1 - 2 ** -32;

/**
 * A sample in [0, 1) that depends only on the try's identity: FNV-1a (32-bit) over the UTF-8 bytes of
 * `runId NUL taskId NUL mapIndex NUL tryNumber`. Stable across processes and platforms.
 */
export function jitterSampleFor(runId: string, taskId: string, mapIndex: number, tryNumber: number): number {
  return fnv1a32(`${runId}\u0000${taskId}\u0000${mapIndex}\u0000${tryNumber}`) / 2 ** 32;
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  const feed = (byte: number): void => {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  };
  // UTF-8 by hand: the engine may not lean on Node's Buffer, and the bytes must match other implementations.
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) {
      feed(code);
    } else if (code < 0x800) {
      feed(0xc0 | (code >> 6));
      feed(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      feed(0xe0 | (code >> 12));
      feed(0x80 | ((code >> 6) & 0x3f));
      feed(0x80 | (code & 0x3f));
    } else {
      feed(0xf0 | (code >> 18));
      feed(0x80 | ((code >> 12) & 0x3f));
      feed(0x80 | ((code >> 6) & 0x3f));
      feed(0x80 | (code & 0x3f));
    }
  }
  return hash >>> 0;
}
