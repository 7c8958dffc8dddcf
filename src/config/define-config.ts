// The shape of weir.config.ts, and `defineConfig`, which only gives it a type. This file is part of the
// public entry (src/index.ts), so it imports types only: a pipeline file that imports "weir" pays nothing.
import type { Duration } from "../define/duration.js";
import type { EmailNotifierConfig, SlackNotifierConfig, WebhookNotifierConfig } from "../notify/types.js";

/** An SMTP notifier as written in weir.config.ts: as `EmailNotifierConfig`, the port defaulting from `secure`/`starttls`. */
export type EmailNotifierInput = Omit<EmailNotifierConfig, "port"> & { port?: number };

/**
 * A notifier in weir.config.ts: an object, or the one-string form of `WEIR_NOTIFIER_<NAME>`
 * (`webhook:<url>`, `slack:<url>`, `smtp://…`, `smtps://…`).
 */
export type NotifierInput = WebhookNotifierConfig | SlackNotifierConfig | EmailNotifierInput | string;

/**
 * Settings of a Weir project (docs/configuration.md). Every field is optional; an environment variable
 * set for the same setting wins over the file, and a command-line flag over both.
 */
export interface WeirConfig {
  /** Where Weir keeps its state (WEIR_HOME; default `.weir`). Relative to the config file's directory. */
  home?: string;
  /** The store (WEIR_DATABASE_URL): a SQLite file path, `sqlite:///path` or `postgres://…`; default SQLite in `home`. A relative file path is relative to the config file. */
  databaseUrl?: string;
  /** Whether commands migrate the store's schema by themselves (WEIR_AUTO_MIGRATE; default true). */
  autoMigrate?: boolean;
  /** Where `weir scheduler` runs tries (WEIR_EXECUTOR; `--executor`): "local" (default) or "store". */
  executor?: "local" | "store";
  /** The UI and API port of `weir dev`/`weir server` (WEIR_PORT; `--port`; default 8080). */
  port?: number;
  /** Between aborting a try (timeout, cancel) and killing its worker (WEIR_KILL_GRACE; default "5s"). */
  killGrace?: Duration;
  /** Task outputs over this many bytes go to the artifact store (WEIR_ARTIFACT_THRESHOLD; default 65536). */
  artifactThreshold?: number;
  /** Slots of the `default` pool when a new store creates it (WEIR_DEFAULT_POOL_SLOTS; default 128). */
  defaultPoolSlots?: number;
  /** How long a `weir scheduler`'s lease lasts unrenewed before a standby takes over (WEIR_SCHEDULER_LEASE; default "10s", at least "1s"). */
  schedulerLease?: Duration;
  /** The local worker pool of `weir run`/`weir dev`/`weir scheduler`, and the liveness of its processes (docs/configuration.md, "Hung workers"). */
  localWorkers?: {
    /** Worker processes (WEIR_LOCAL_WORKERS; `-c/--concurrency`; default: the number of cores). */
    processes?: number;
    /** How often each worker beats (WEIR_LOCAL_HEARTBEAT_MS; default "1s"). */
    heartbeat?: Duration;
    /** Beats missed in a row before a worker counts as hung and is killed: 0 never, else at least 3 (WEIR_LOCAL_MISSED_HEARTBEATS; default 30). */
    missedHeartbeats?: number;
  };
  /** `weir worker` processes of the store executor (docs/distributed.md). */
  distributedWorkers?: {
    /** Tries each `weir worker` runs at once (WEIR_WORKER_CONCURRENCY; `-c/--concurrency`; default: the number of cores). */
    concurrency?: number;
    /** How often they heartbeat; one silent for 3 beats is lost (WEIR_WORKER_HEARTBEAT_MS; default "2s"). */
    heartbeat?: Duration;
  };
  /** Notifiers by name, for `onFailure`/`onRetry`/`onSuccess`; `WEIR_NOTIFIER_<NAME>` overrides or adds. */
  notifiers?: Record<string, NotifierInput>;
}

/**
 * Types a project's settings. Export its result as the default export of `weir.config.ts` in the
 * directory you run `weir` from. Values must be plain data (strings, numbers, booleans); read secrets
 * from the environment rather than writing them into the file.
 *
 * @example
 * ```ts
 * import { defineConfig } from "weir";
 *
 * export default defineConfig({
 *   home: ".weir",
 *   killGrace: "10s",
 *   notifiers: {
 *     ops: { type: "webhook", url: "https://alerts.example.com/weir", headers: { Authorization: `Bearer ${process.env.ALERT_TOKEN ?? ""}` } },
 *     team: "slack:https://hooks.slack.com/services/T000/B000/XXXX",
 *   },
 * });
 * ```
 */
export function defineConfig(config: WeirConfig): WeirConfig {
  return config;
}
