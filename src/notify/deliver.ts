// Delivery of one notification with a few retries, for a caller that must not be hurt by it: `deliver`
// never throws, never waits longer than its bounds, and answers with a value the caller logs. Durability
// (a crash neither loses nor repeats beyond at-least-once) is the scheduler's outbox's job, not this one.
import { setTimeout as sleepFor } from "node:timers/promises";
import { WeirError } from "../common/errors.js";
import { NotificationSendError } from "./send-error.js";
import type { Notification, Notifier } from "./types.js";

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS: readonly number[] = [500, 2000, 5000];
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 60_000;

export interface DeliverOptions {
  /** Tries in all, at least 1; default 3. */
  attempts?: number;
  /** Wait before try 2, 3, …; the last entry repeats. Default [500, 2000, 5000]. */
  backoffMs?: readonly number[];
  /** Bound on one try even if the notifier ignores its signal; default 60 000. */
  attemptTimeoutMs?: number;
  /** Injectable for tests; must reject or resolve promptly when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Stops delivery (a shutting-down scheduler); the result is then `ok: false`. */
  signal?: AbortSignal;
}

export interface DeliveryResult {
  ok: boolean;
  /** Tries made (1 … attempts). */
  attempts: number;
  /** The last failure's message, when `ok` is false. */
  error?: string;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Whether another try can succeed where this one failed. Unknown errors get the benefit of the doubt. */
function isRetryable(error: unknown): boolean {
  if (error instanceof NotificationSendError) return error.retryable;
  if (error instanceof WeirError) return !error.isInputError;
  return true;
}

async function attemptOnce(notifier: Notifier, n: Notification, timeoutMs: number, outer: AbortSignal | undefined): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  let onAbort = (): void => {};
  // Raced against the send so a notifier that never settles cannot hold the caller past the bound.
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () =>
      reject(
        timeout.aborted
          ? new NotificationSendError(`notifier did not finish within ${timeoutMs} ms`, { retryable: true })
          : new NotificationSendError("delivery was aborted", { retryable: false }),
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([Promise.resolve().then(() => notifier.send(n, signal)), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Sends `n` through `notifier`, retrying failures that may pass next time (timeouts, HTTP 5xx/429, SMTP 4xx)
 * after the backoff schedule. Never throws.
 */
export async function deliver(notifier: Notifier, n: Notification, options: DeliverOptions = {}): Promise<DeliveryResult> {
  let attempts = 0;
  let lastError: unknown;
  try {
    const maxAttempts = Number.isFinite(options.attempts) ? Math.max(1, Math.floor(options.attempts as number)) : DEFAULT_ATTEMPTS;
    const backoff = options.backoffMs && options.backoffMs.length > 0 ? options.backoffMs : DEFAULT_BACKOFF_MS;
    const attemptTimeoutMs = options.attemptTimeoutMs !== undefined && options.attemptTimeoutMs > 0 ? options.attemptTimeoutMs : DEFAULT_ATTEMPT_TIMEOUT_MS;
    const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
    for (;;) {
      if (options.signal?.aborted) return { ok: false, attempts, error: withAbort(lastError) };
      attempts++;
      try {
        await attemptOnce(notifier, n, attemptTimeoutMs, options.signal);
        return { ok: true, attempts };
      } catch (error) {
        lastError = error;
      }
      if (attempts >= maxAttempts || !isRetryable(lastError)) return { ok: false, attempts, error: messageOf(lastError) };
      const delayMs = backoff[Math.min(attempts - 1, backoff.length - 1)] ?? 0;
      try {
        await sleep(Math.max(0, delayMs), options.signal);
      } catch {
        return { ok: false, attempts, error: withAbort(lastError) };
      }
    }
  } catch (error) {
    // Only a broken option (a throwing getter, a bad sleep) gets here; the promise still resolves.
    return { ok: false, attempts, error: messageOf(error) };
  }
}

function withAbort(lastError: unknown): string {
  return lastError === undefined ? "delivery was aborted" : `delivery was aborted after: ${messageOf(lastError)}`;
}
