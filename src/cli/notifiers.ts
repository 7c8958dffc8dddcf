// Notifiers configured once by name in the environment (WEIR_NOTIFIER_<NAME>=webhook:…|slack:…|smtp://…):
// read when a command that runs pipelines starts, so a bad one is bad input before anything runs.
import { createNotifiers, parseNotifierConfigs, type Notifier } from "../notify/index.js";

export function notifiersFromEnv(env: NodeJS.ProcessEnv = process.env): Map<string, Notifier> {
  return createNotifiers(parseNotifierConfigs({ env }));
}
