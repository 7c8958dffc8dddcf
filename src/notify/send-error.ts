// The one error a notifier throws, so `deliver` can tell a failure worth retrying (a timeout, a 503, an
// SMTP 4xx) from one that will fail the same way again (a 404, an SMTP 550, a rejected password).
import { WeirError } from "../common/errors.js";

export class NotificationSendError extends WeirError {
  /** False when trying again cannot help (HTTP 4xx except 408/425/429, SMTP 5xx). */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super("notification_send_failed", message, { input: false, cause: options.cause });
    this.name = "NotificationSendError";
    this.retryable = options.retryable;
  }
}

/** The most useful one-line reason inside an error thrown by fetch / node:net (`fetch failed` hides it in `cause`). */
export function describeCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const next = current instanceof Error ? current.cause : undefined;
    if (next === undefined || next === null) break;
    current = next;
  }
  if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
  if (current instanceof Error) return current.message || current.name;
  return String(current);
}
