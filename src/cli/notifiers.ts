// Notifiers configured once by name: in weir.config.ts (`notifiers: { … }`) and in the environment
// (WEIR_NOTIFIER_<NAME>=webhook:…|slack:…|smtp://…), the environment winning for a name set in both.
// Read when a command that runs pipelines starts, so a bad one is bad input before anything runs.
import { configuredNotifiers } from "../config/index.js";
import { createNotifiers, parseNotifierConfigs, type Notifier } from "../notify/index.js";

export function notifiersFromEnv(env: NodeJS.ProcessEnv = process.env): Map<string, Notifier> {
  return createNotifiers(parseNotifierConfigs({ env, config: configuredNotifiers() }));
}
