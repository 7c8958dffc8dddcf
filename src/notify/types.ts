// The data a notification carries and the shape of a notifier: plain JSON in (so a notification can sit in
// the scheduler's outbox and be delivered by any process), one async `send` out.

/** What happened. Events are past-tense facts (STYLE.md). */
export type NotificationKind = "task_failed" | "task_retry" | "task_success" | "run_failed" | "run_success" | "deadline_missed";

export const NOTIFICATION_KINDS: readonly NotificationKind[] = ["task_failed", "task_retry", "task_success", "run_failed", "run_success", "deadline_missed"];

/** One event worth telling a human about. Plain JSON: no Dates, no class instances. */
export interface Notification {
  kind: NotificationKind;
  pipelineId: string;
  runId: string;
  /** Absent for run-level events (`run_*`, `deadline_missed`), unless a run failure names the task that caused it. */
  taskId?: string;
  /** Map index of a mapped task instance (0…n-1); absent or -1 for an unmapped one. */
  mapIndex?: number;
  tryNumber?: number;
  /** ISO 8601. */
  logicalDate: string;
  error?: { name: string; message: string };
  /** URL of the run in the UI; absent when no UI address is configured. */
  link?: string;
  /** ISO 8601: when the event happened (not when it is delivered). */
  at: string;
  /** `deadline_missed` only: the deadline (`after`, e.g. "2h 00m"; `dueAt`, ISO 8601) and the run's state then. */
  deadline?: { after: string; dueAt: string; state: string };
}

export interface WebhookNotifierConfig {
  type: "webhook";
  /** http(s) URL; receives a POST of the JSON body documented in README.md. */
  url: string;
  /** Extra request headers, e.g. `Authorization`. `content-type` is always `application/json`. */
  headers?: Record<string, string>;
  /** Whole-request timeout; default 10 000. */
  timeoutMs?: number;
}

export interface SlackNotifierConfig {
  type: "slack";
  /** A Slack (or Slack-compatible: Mattermost, Rocket.Chat, …) incoming-webhook URL. */
  url: string;
  channel?: string;
  username?: string;
  /** Whole-request timeout; default 10 000. */
  timeoutMs?: number;
}

export interface EmailNotifierConfig {
  type: "email";
  host: string;
  port: number;
  /** Implicit TLS from the first byte (SMTPS, usually port 465). */
  secure?: boolean;
  /** Upgrade a plain connection with STARTTLS (usually port 587); fails if the server does not offer it. */
  starttls?: boolean;
  user?: string;
  password?: string;
  /** `a@example.com` or `Weir <a@example.com>`. */
  from: string;
  to: string[];
  /** Whole-conversation timeout; default 30 000. */
  timeoutMs?: number;
  /** TLS trust: a PEM CA bundle to trust (e.g. a private CA) and whether to verify the certificate (default true). */
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

export type NotifierConfig = WebhookNotifierConfig | SlackNotifierConfig | EmailNotifierConfig;

export interface Notifier {
  /** Delivers one notification once. Resolves when the receiver accepted it; throws a `NotificationSendError` otherwise. */
  send(n: Notification, signal?: AbortSignal): Promise<void>;
}
