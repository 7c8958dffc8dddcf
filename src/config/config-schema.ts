// Checks what a weir.config.ts exported: plain data of the documented shape, or one error naming the
// file and the field. Notifiers are checked by src/notify (the same rules as WEIR_NOTIFIER_<NAME>).
import { z } from "zod";
import { configError } from "./config-error.js";
import { MAX_HEARTBEAT_MS, MIN_MISSED_HEARTBEATS } from "../common/heartbeat-limits.js";
import { parseDuration } from "../define/duration.js";
import { parseNotifierConfigs } from "../notify/notifier-config.js";
import type { NotifierConfig } from "../notify/types.js";
import type { WeirConfig } from "./define-config.js";

const isDuration = (value: string | number): boolean => {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
};

const duration = z.union([z.string(), z.number()]).refine(isDuration, { message: 'not a duration (use e.g. "500ms", "10s", "5m" or milliseconds)' });
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int(`must be a whole number from ${min} to ${max}`).min(min, `must be a whole number from ${min} to ${max}`).max(max, `must be a whole number from ${min} to ${max}`);

// The limits src/executor/heartbeat.ts applies (config may not import the executor): a timer takes at most
// 2^31 − 1 ms (a longer interval would fire at once, over and over); fewer than 3 misses would kill a worker
// for one late beat.
const heartbeat = duration.refine((v) => parseDuration(v) >= 1 && parseDuration(v) <= MAX_HEARTBEAT_MS, { message: `must be from 1ms to ${MAX_HEARTBEAT_MS}ms (about 24.8 days)` });

const schema = z.strictObject({
  home: z.string().min(1, "must be a non-empty path").optional(),
  databaseUrl: z.string().min(1, "must be a non-empty URL or path").optional(),
  autoMigrate: z.boolean().optional(),
  executor: z.enum(["local", "store"], 'must be "local" or "store"').optional(),
  port: wholeNumber(0, 65_535).optional(),
  killGrace: duration.optional(),
  artifactThreshold: wholeNumber(0).optional(),
  defaultPoolSlots: wholeNumber(0).optional(),
  schedulerLease: duration.refine((v) => parseDuration(v) >= 1000 && parseDuration(v) <= MAX_HEARTBEAT_MS, { message: `must be from 1s to ${MAX_HEARTBEAT_MS}ms (about 24.8 days)` }).optional(),
  localWorkers: z
    .strictObject({
      processes: wholeNumber(1, 1024).optional(),
      heartbeat: heartbeat.optional(),
      missedHeartbeats: wholeNumber(0)
        .refine((n) => n === 0 || n >= MIN_MISSED_HEARTBEATS, { message: `must be 0 (never) or at least ${MIN_MISSED_HEARTBEATS}: fewer would kill a worker for one late beat` })
        .optional(),
    })
    .optional(),
  distributedWorkers: z.strictObject({ heartbeat: heartbeat.optional(), concurrency: wholeNumber(1, 1024).optional() }).optional(),
  notifiers: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.unknown())], "must be an object with a type, or a spec string")).optional(),
});

export interface ValidConfig {
  /** Absolute path of the file it came from. */
  file: string;
  settings: Omit<WeirConfig, "notifiers">;
  notifiers: Map<string, NotifierConfig>;
}

/** `exported` is the default export of the file at `file` (named in errors as `shownAs`). */
export function validateConfig(exported: unknown, file: string, shownAs: string): ValidConfig {
  if (typeof exported === "function") throw configError(shownAs, "the default export is a function; export the object: `export default defineConfig({ … })`");
  if (typeof exported !== "object" || exported === null || Array.isArray(exported)) {
    throw configError(shownAs, "needs `export default defineConfig({ … })` (the default export is not an object)");
  }
  const parsed = schema.safeParse(exported);
  if (!parsed.success) throw configError(shownAs, describeIssue(parsed.error.issues[0]));
  const { notifiers, ...settings } = parsed.data;
  let checked: Map<string, NotifierConfig>;
  try {
    checked = parseNotifierConfigs({ config: notifiers ?? {} });
  } catch (error) {
    throw configError(shownAs, error instanceof Error ? error.message : String(error));
  }
  return { file, settings: settings as ValidConfig["settings"], notifiers: checked };
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue | undefined): string {
  if (!issue) return "is not valid";
  const at = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    return `${at === "" ? "unknown setting" : `${at}: unknown key`}${issue.keys.length > 1 ? "s" : ""} ${keys} (see docs/configuration.md)`;
  }
  const hint = issue.code === "invalid_type" && / function$/.test(issue.message) ? " (a config holds plain data: compute values in the file, don't pass functions)" : "";
  return `${at === "" ? "config" : at}: ${issue.message}${hint}`;
}
