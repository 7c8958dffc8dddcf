// Notifiers are configured once, by name, in the environment (`WEIR_NOTIFIER_<NAME>=…`) or in
// weir.config.ts (`notifiers: { <name>: … }`), and pipelines refer to them by name. Everything is checked
// here, at start-up, so a typo fails loudly once instead of silently at the first failure it should report.
// Messages name the variable or key at fault and never echo a URL or password (they carry secrets).
import { WeirError } from "../common/errors.js";
import { parseMailbox } from "./email-message.js";
import { isLoopbackHost } from "./smtp.js";
import type { EmailNotifierConfig, NotifierConfig, SlackNotifierConfig, WebhookNotifierConfig } from "./types.js";

export const NOTIFIER_ENV_PREFIX = "WEIR_NOTIFIER_";
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_TIMEOUT_MS = 10 * 60_000;

function invalid(where: string, problem: string): WeirError {
  return new WeirError("notifier_invalid", `${where}: ${problem}`);
}

export interface NotifierConfigSources {
  /** Usually `process.env`; only `WEIR_NOTIFIER_<NAME>` variables are read. */
  env?: Record<string, string | undefined>;
  /** The `notifiers` object of weir.config.ts: name → config object or spec string. */
  config?: Record<string, unknown>;
}

/**
 * All configured notifiers, by lower-case name. A name set in both places takes the environment's
 * value (the environment overrides the config file, as everywhere in Weir). Throws `notifier_invalid`.
 */
export function parseNotifierConfigs(sources: NotifierConfigSources): Map<string, NotifierConfig> {
  const configs = new Map<string, NotifierConfig>();
  for (const [key, value] of Object.entries(sources.config ?? {})) {
    const where = `notifiers.${key}`;
    const name = key.toLowerCase();
    if (!NAME.test(name)) throw invalid(where, "a notifier name is letters, digits, _ and -, at most 64");
    if (configs.has(name)) throw invalid(where, `notifier "${name}" is defined twice (names are case-insensitive)`);
    configs.set(name, typeof value === "string" ? parseNotifierSpec(value, where) : validateNotifierConfig(value, where));
  }
  for (const [key, value] of Object.entries(sources.env ?? {})) {
    if (!key.startsWith(NOTIFIER_ENV_PREFIX) || value === undefined || value.trim() === "") continue;
    const name = key.slice(NOTIFIER_ENV_PREFIX.length).toLowerCase();
    if (!NAME.test(name)) throw invalid(key, "a notifier name is letters, digits and _, at most 64");
    configs.set(name, parseNotifierSpec(value, key));
  }
  return configs;
}

/**
 * One notifier from its one-string form:
 * - `webhook:<http(s) URL>`
 * - `slack:<incoming-webhook URL>`
 * - `smtp://[user:password@]host[:port]?from=<address>&to=<address>[,<address>…][&starttls=1][&timeout_ms=N]`
 *   (port 587 with starttls, else 25; `smtps://` is implicit TLS, port 465; user and password percent-encoded)
 * - a JSON object in the shape of `NotifierConfig`, for what the short forms cannot say (headers, channel, tls)
 */
export function parseNotifierSpec(spec: string, where: string): NotifierConfig {
  const text = spec.trim();
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw invalid(where, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    return validateNotifierConfig(parsed, where);
  }
  const scheme = /^([a-z]+):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === "webhook") return validateNotifierConfig({ type: "webhook", url: text.slice("webhook:".length) }, where);
  if (scheme === "slack") return validateNotifierConfig({ type: "slack", url: text.slice("slack:".length) }, where);
  if (scheme === "smtp" || scheme === "smtps") return parseSmtpUrl(text, scheme === "smtps", where);
  throw invalid(where, "expected webhook:<url>, slack:<url>, smtp://…, smtps://… or a JSON object");
}

function parseSmtpUrl(text: string, secure: boolean, where: string): EmailNotifierConfig {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(where, "not a valid smtp:// URL");
  }
  if (url.pathname !== "" && url.pathname !== "/") throw invalid(where, "an smtp:// URL has no path; put from= and to= in the query");
  const raw: Record<string, unknown> = { type: "email", host: url.hostname.replace(/^\[(.*)\]$/, "$1"), secure };
  if (url.port !== "") raw.port = Number(url.port);
  try {
    if (url.username !== "") raw.user = decodeURIComponent(url.username);
    if (url.password !== "") raw.password = decodeURIComponent(url.password);
  } catch {
    throw invalid(where, "the user or password is not valid percent-encoding");
  }
  for (const [key, value] of url.searchParams) {
    switch (key) {
      case "from":
        raw.from = value;
        break;
      case "to":
        raw.to = value.split(",").map((address) => address.trim()).filter((address) => address !== "");
        break;
      case "starttls":
        raw.starttls = parseFlag(value, where, key);
        break;
      case "timeout_ms":
        raw.timeoutMs = Number(value);
        break;
      default:
        throw invalid(where, `unknown smtp URL parameter "${key}" (known: from, to, starttls, timeout_ms)`);
    }
  }
  if (raw.from === undefined) throw invalid(where, "the smtp URL needs from=<address>");
  if (raw.to === undefined) throw invalid(where, "the smtp URL needs to=<address>[,<address>…]");
  return validateNotifierConfig(raw, where) as EmailNotifierConfig;
}

function parseFlag(value: string, where: string, key: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw invalid(where, `${key} must be 1 or 0`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(where, `unknown key "${key}" for a ${String(value.type)} notifier (known: ${allowed.join(", ")})`);
  }
}

function optionalString(value: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = value[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw invalid(where, `${key} must be a non-empty string`);
  return v;
}

function optionalTimeout(value: Record<string, unknown>, where: string): number | undefined {
  const v = value.timeoutMs;
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0 || v > MAX_TIMEOUT_MS) {
    throw invalid(where, `timeoutMs must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`);
  }
  return v;
}

function httpUrl(value: Record<string, unknown>, where: string): string {
  const url = value.url;
  if (typeof url !== "string" || url.trim() === "") throw invalid(where, "url is required");
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw invalid(where, "url is not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw invalid(where, `url must be http:// or https://, not ${parsed.protocol}//`);
  return url.trim();
}

/** Checks a config object of unknown origin (weir.config.ts, JSON) and returns it typed, defaults filled. */
export function validateNotifierConfig(value: unknown, where: string): NotifierConfig {
  if (!isRecord(value)) throw invalid(where, "a notifier is an object with a type (webhook, slack or email) or a spec string");
  switch (value.type) {
    case "webhook":
      return validateWebhook(value, where);
    case "slack":
      return validateSlack(value, where);
    case "email":
      return validateEmail(value, where);
    default:
      throw invalid(where, `type must be "webhook", "slack" or "email"`);
  }
}

function validateWebhook(value: Record<string, unknown>, where: string): WebhookNotifierConfig {
  checkKeys(value, ["type", "url", "headers", "timeoutMs"], where);
  const config: WebhookNotifierConfig = { type: "webhook", url: httpUrl(value, where) };
  if (value.headers !== undefined) {
    if (!isRecord(value.headers)) throw invalid(where, "headers must be an object of strings");
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(value.headers)) {
      if (!HEADER_NAME.test(name)) throw invalid(where, `header name "${name}" is not a valid HTTP header name`);
      if (typeof v !== "string" || /[\r\n\0]/.test(v)) throw invalid(where, `header ${name} must be a single-line string`);
      if (name.toLowerCase() === "content-type") throw invalid(where, "content-type is always application/json");
      headers[name] = v;
    }
    config.headers = headers;
  }
  const timeoutMs = optionalTimeout(value, where);
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  return config;
}

function validateSlack(value: Record<string, unknown>, where: string): SlackNotifierConfig {
  checkKeys(value, ["type", "url", "channel", "username", "timeoutMs"], where);
  const config: SlackNotifierConfig = { type: "slack", url: httpUrl(value, where) };
  const channel = optionalString(value, "channel", where);
  const username = optionalString(value, "username", where);
  const timeoutMs = optionalTimeout(value, where);
  if (channel !== undefined) config.channel = channel;
  if (username !== undefined) config.username = username;
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  return config;
}

function validateEmail(value: Record<string, unknown>, where: string): EmailNotifierConfig {
  checkKeys(value, ["type", "host", "port", "secure", "starttls", "user", "password", "from", "to", "timeoutMs", "tls"], where);
  const host = value.host;
  if (typeof host !== "string" || !/^[A-Za-z0-9.:_-]+$/.test(host)) throw invalid(where, "host must be a host name or IP address");
  for (const flag of ["secure", "starttls"] as const) {
    if (value[flag] !== undefined && typeof value[flag] !== "boolean") throw invalid(where, `${flag} must be true or false`);
  }
  const secure = value.secure === true;
  const starttls = value.starttls === true;
  if (secure && starttls) throw invalid(where, "secure (implicit TLS, smtps://) and starttls exclude each other");
  const port = value.port ?? (secure ? 465 : starttls ? 587 : 25);
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65_535) throw invalid(where, "port must be a whole number from 1 to 65535");
  const from = value.from;
  if (typeof from !== "string" || !parseMailbox(from)) throw invalid(where, `from must be an email address (a@example.com or Name <a@example.com>)`);
  const to = value.to;
  if (!Array.isArray(to) || to.length === 0) throw invalid(where, "to must list at least one email address");
  for (const address of to) {
    if (typeof address !== "string" || !parseMailbox(address)) throw invalid(where, `to: ${JSON.stringify(address)} is not an email address`);
  }
  const config: EmailNotifierConfig = { type: "email", host, port, from, to: [...(to as string[])] };
  if (secure) config.secure = true;
  if (starttls) config.starttls = true;
  const user = value.user;
  const password = value.password;
  if (user !== undefined || password !== undefined) {
    if (typeof user !== "string" || user === "" || typeof password !== "string") throw invalid(where, "user and password go together, both strings");
    if (!secure && !starttls && !isLoopbackHost(host)) {
      throw invalid(where, `refusing to send the SMTP password to ${host} in clear text: use smtps:// (secure: true) or starttls=1`);
    }
    config.user = user;
    config.password = password;
  }
  const timeoutMs = optionalTimeout(value, where);
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  if (value.tls !== undefined) {
    const tls = value.tls;
    if (!isRecord(tls)) throw invalid(where, "tls must be an object { ca?, rejectUnauthorized? }");
    for (const key of Object.keys(tls)) if (key !== "ca" && key !== "rejectUnauthorized") throw invalid(where, `unknown key tls.${key} (known: ca, rejectUnauthorized)`);
    if (tls.ca !== undefined && typeof tls.ca !== "string") throw invalid(where, "tls.ca must be a PEM string");
    if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== "boolean") throw invalid(where, "tls.rejectUnauthorized must be true or false");
    config.tls = {
      ...(tls.ca !== undefined ? { ca: tls.ca as string } : {}),
      ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized as boolean } : {}),
    };
  }
  return config;
}
