// Turns a validated config into the environment variables Weir already reads, set only where the
// environment has none: so the precedence flag > environment > config file > default holds everywhere,
// for this process and for the worker, triggerer and shell processes it starts, without each reader
// knowing about the file. Notifiers are the exception: they stay in this process (they carry secrets
// that task code has no business seeing in its environment) and are read through `configuredNotifiers`.
import { resolve, dirname, isAbsolute } from "node:path";
import { WeirError } from "../common/errors.js";
import { MAX_HEARTBEAT_MS, MIN_MISSED_HEARTBEATS } from "../common/heartbeat-limits.js";
import { parseDuration } from "../define/duration.js";
import type { NotifierConfig } from "../notify/types.js";
import type { ValidConfig } from "./config-schema.js";

let active: ValidConfig | null = null;

/** The notifiers of the loaded config file by lower-case name (none without one). The environment's are merged by the caller. */
export function configuredNotifiers(): Record<string, NotifierConfig> {
  return Object.fromEntries(active?.notifiers ?? []);
}

/** The config file in use (absolute path), or null without one. */
export function activeConfigFile(): string | null {
  return active?.file ?? null;
}

/** Each setting as the environment variable that carries it. */
export function configAsEnv(config: ValidConfig): Record<string, string> {
  const s = config.settings;
  const base = dirname(config.file);
  const vars: Record<string, string | undefined> = {
    WEIR_HOME: s.home === undefined ? undefined : resolve(base, s.home),
    WEIR_DATABASE_URL: s.databaseUrl === undefined ? undefined : databaseUrlFrom(s.databaseUrl, base),
    WEIR_AUTO_MIGRATE: s.autoMigrate === undefined ? undefined : s.autoMigrate ? "1" : "0",
    WEIR_EXECUTOR: s.executor,
    WEIR_PORT: s.port === undefined ? undefined : String(s.port),
    WEIR_KILL_GRACE: s.killGrace === undefined ? undefined : `${parseDuration(s.killGrace)}ms`,
    WEIR_ARTIFACT_THRESHOLD: s.artifactThreshold === undefined ? undefined : String(s.artifactThreshold),
    WEIR_DEFAULT_POOL_SLOTS: s.defaultPoolSlots === undefined ? undefined : String(s.defaultPoolSlots),
    WEIR_SCHEDULER_LEASE: s.schedulerLease === undefined ? undefined : `${parseDuration(s.schedulerLease)}ms`,
    WEIR_LOCAL_WORKERS: s.localWorkers?.processes === undefined ? undefined : String(s.localWorkers.processes),
    WEIR_WORKER_CONCURRENCY: s.distributedWorkers?.concurrency === undefined ? undefined : String(s.distributedWorkers.concurrency),
    WEIR_LOCAL_HEARTBEAT_MS: s.localWorkers?.heartbeat === undefined ? undefined : String(parseDuration(s.localWorkers.heartbeat)),
    WEIR_LOCAL_MISSED_HEARTBEATS: s.localWorkers?.missedHeartbeats === undefined ? undefined : String(s.localWorkers.missedHeartbeats),
    WEIR_WORKER_HEARTBEAT_MS: s.distributedWorkers?.heartbeat === undefined ? undefined : String(parseDuration(s.distributedWorkers.heartbeat)),
  };
  return Object.fromEntries(Object.entries(vars).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** A relative file path is the config's neighbour; a URL (sqlite://, postgres://) is left as written. */
function databaseUrlFrom(url: string, base: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) || isAbsolute(url) ? url : resolve(base, url);
}

/** Makes `config` the one in use: fills unset variables of `env` and remembers its notifiers. */
export function applyConfig(config: ValidConfig, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(configAsEnv(config))) {
    if (env[name] === undefined || env[name].trim() === "") env[name] = value;
  }
  // Child `weir` processes (the triggerer of `weir dev`) load the same file, wherever they start.
  env.WEIR_CONFIG = config.file;
  active = config;
}

/**
 * Settings read by processes that can't report a bad value well (workers, the store's migrate) are
 * checked here, up front, naming the variable: a config file's values were checked already.
 */
export function checkEnvSettings(env: NodeJS.ProcessEnv = process.env): void {
  const whole = (name: string, min: number, unit: string) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new WeirError("config_invalid", `${name} must be a whole number${unit} ≥ ${min}, got ${JSON.stringify(raw)}`);
  };
  whole("WEIR_DEFAULT_POOL_SLOTS", 0, "");
  whole("WEIR_LOCAL_WORKERS", 1, "");
  whole("WEIR_WORKER_CONCURRENCY", 1, "");
  whole("WEIR_LOCAL_HEARTBEAT_MS", 1, " of milliseconds");
  whole("WEIR_LOCAL_MISSED_HEARTBEATS", 0, "");
  whole("WEIR_HELPER_NICE", 0, "");
  if (Number(env.WEIR_HELPER_NICE) > 19) throw new WeirError("config_invalid", `WEIR_HELPER_NICE must be a nice value from 0 (leave helper threads as they are) to 19, got ${JSON.stringify(env.WEIR_HELPER_NICE)}`);
  const heartbeatMs = Number(env.WEIR_LOCAL_HEARTBEAT_MS);
  if (heartbeatMs > MAX_HEARTBEAT_MS) throw new WeirError("config_invalid", `WEIR_LOCAL_HEARTBEAT_MS must be at most ${MAX_HEARTBEAT_MS} (about 24.8 days), got ${JSON.stringify(env.WEIR_LOCAL_HEARTBEAT_MS)}`);
  const missed = Number(env.WEIR_LOCAL_MISSED_HEARTBEATS);
  if (missed > 0 && missed < MIN_MISSED_HEARTBEATS) throw new WeirError("config_invalid", `WEIR_LOCAL_MISSED_HEARTBEATS must be 0 (never) or at least ${MIN_MISSED_HEARTBEATS} (fewer would kill a worker for one late beat), got ${JSON.stringify(env.WEIR_LOCAL_MISSED_HEARTBEATS)}`);
}
