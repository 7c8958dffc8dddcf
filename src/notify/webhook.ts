// The generic HTTP webhook: a POST of one stable JSON document per notification, for whatever the
// receiver wants to do with it (PagerDuty-style relays, chat bridges, a team's own service).
import { postJson } from "./http-post.js";
import type { Notification, Notifier, WebhookNotifierConfig } from "./types.js";

/** The body a webhook receives. Every key is always present (null when it does not apply), so receivers can rely on the shape. */
export interface WebhookPayload {
  event: Notification["kind"];
  pipeline: string;
  run: string;
  task: string | null;
  mapIndex: number | null;
  try: number | null;
  error: { name: string; message: string } | null;
  logicalDate: string;
  link: string | null;
  at: string;
  /** Present on `deadline_missed` only (so other events' bodies are unchanged). */
  deadline?: { after: string; dueAt: string; state: string };
}

export function toWebhookPayload(n: Notification): WebhookPayload {
  return {
    event: n.kind,
    pipeline: n.pipelineId,
    run: n.runId,
    task: n.taskId ?? null,
    mapIndex: n.taskId !== undefined && n.mapIndex !== undefined && n.mapIndex >= 0 ? n.mapIndex : null,
    try: n.tryNumber ?? null,
    error: n.error ? { name: n.error.name, message: n.error.message } : null,
    logicalDate: n.logicalDate,
    link: n.link ?? null,
    at: n.at,
    ...(n.deadline ? { deadline: { ...n.deadline } } : {}),
  };
}

export function createWebhookNotifier(config: WebhookNotifierConfig): Notifier {
  return {
    send: (n, signal) =>
      postJson({ what: "webhook", url: config.url, body: toWebhookPayload(n), headers: config.headers, timeoutMs: config.timeoutMs, signal }),
  };
}
