// The public surface of src/notify: what the scheduler's outbox needs to turn a notification action into a delivery.
export type {
  EmailNotifierConfig,
  Notification,
  NotificationKind,
  Notifier,
  NotifierConfig,
  SlackNotifierConfig,
  WebhookNotifierConfig,
} from "./types.js";
export { NOTIFICATION_KINDS } from "./types.js";
export { NotificationSendError } from "./send-error.js";
export { deliver, DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS, type DeliverOptions, type DeliveryResult } from "./deliver.js";
export { createNotifier, createNotifiers } from "./create-notifier.js";
export { parseNotifierConfigs, parseNotifierSpec, validateNotifierConfig, NOTIFIER_ENV_PREFIX, type NotifierConfigSources } from "./notifier-config.js";
export { createWebhookNotifier, toWebhookPayload, type WebhookPayload } from "./webhook.js";
export { createSlackNotifier, toSlackPayload, type SlackPayload } from "./slack.js";
export { createSmtpNotifier, type SmtpNotifierOptions } from "./smtp.js";
export { summarizeNotification, notificationSubject } from "./message-text.js";
