// One JSON POST with a whole-request timeout, shared by the webhook and Slack notifiers. Errors name
// the receiver by origin only: webhook paths and queries often carry the secret (Slack's always do).
import { NotificationSendError, describeCause } from "./send-error.js";

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** HTTP statuses worth another try; any other 4xx will fail the same way again. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

export interface PostJsonOptions {
  /** What is posting, for messages: `webhook`, `Slack webhook`. */
  what: string;
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `https://hooks.example.com` — enough to say where, never the secret part. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(invalid URL)";
  }
}

export async function postJson(options: PostJsonOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const where = `${options.what} POST to ${redactUrl(options.url)}`;
  let response: Response;
  let responseText: string;
  try {
    response = await fetch(options.url, {
      method: "POST",
      headers: { "user-agent": "weir-notify", ...options.headers, "content-type": "application/json" },
      body: JSON.stringify(options.body),
      signal,
      // A webhook that redirects is misconfigured; following it would re-send the body somewhere unchecked.
      redirect: "manual",
    });
    // Read the body under the same timeout: it frees the connection and often says why (Slack: `invalid_token`).
    responseText = await response.text();
  } catch (error) {
    if (timeout.aborted) throw new NotificationSendError(`${where} timed out after ${timeoutMs} ms`, { retryable: true, cause: error });
    if (options.signal?.aborted) throw new NotificationSendError(`${where} was aborted`, { retryable: false, cause: error });
    throw new NotificationSendError(`${where} failed: ${describeCause(error)}`, { retryable: true, cause: error });
  }
  if (response.status >= 200 && response.status < 300) return;
  const snippet = responseText.replace(/\s+/g, " ").trim().slice(0, 200);
  const statusText = response.statusText ? ` ${response.statusText}` : "";
  throw new NotificationSendError(`${where} answered HTTP ${response.status}${statusText}${snippet ? `: ${snippet}` : ""}`, {
    retryable: response.status >= 500 || RETRYABLE_4XX.has(response.status),
  });
}
