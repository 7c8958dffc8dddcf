// From configuration to a working notifier: the one place that knows every notifier type.
import { assertNever } from "../common/assert-never.js";
import { validateNotifierConfig } from "./notifier-config.js";
import { createSlackNotifier } from "./slack.js";
import { createSmtpNotifier } from "./smtp.js";
import type { Notifier, NotifierConfig } from "./types.js";
import { createWebhookNotifier } from "./webhook.js";

/** A notifier for `config`, which is checked first (throws `notifier_invalid`; `where` names it in the message). */
export function createNotifier(config: NotifierConfig, where = "notifier"): Notifier {
  const checked = validateNotifierConfig(config, where);
  switch (checked.type) {
    case "webhook":
      return createWebhookNotifier(checked);
    case "slack":
      return createSlackNotifier(checked);
    case "email":
      return createSmtpNotifier(checked);
    default:
      return assertNever(checked);
  }
}

/** Every configured notifier by name, e.g. from `parseNotifierConfigs`. */
export function createNotifiers(configs: ReadonlyMap<string, NotifierConfig>): Map<string, Notifier> {
  return new Map([...configs].map(([name, config]) => [name, createNotifier(config, `notifier "${name}"`)]));
}
