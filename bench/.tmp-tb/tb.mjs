// src/worker/load-pipeline-file.ts
import { createHash as createHash2, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// src/common/ids.ts
var ID_PATTERN = /^[A-Za-z0-9_.-]{1,250}$/;
function isValidId(value) {
  return ID_PATTERN.test(value) && value !== "." && value !== "..";
}

// src/define/spec.ts
var PIPELINE_BRAND = Symbol.for("weir.pipeline");

// src/define/pipeline.ts
function isPipeline(value) {
  return typeof value === "object" && value !== null && value[PIPELINE_BRAND] === true;
}

// src/graph/compile-pipeline.ts
import { z } from "zod";

// src/common/errors.ts
var WeirError = class extends Error {
  code;
  where;
  /** True when the user's input is at fault (exit code 2, HTTP 4xx); false for internal failures. */
  isInputError;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "WeirError";
    this.code = code;
    this.where = options.where;
    this.isInputError = options.input ?? true;
  }
};

// src/define/duration.ts
var UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
var PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
var DurationInvalidError = class extends WeirError {
  constructor(value, what) {
    super("duration_invalid", `${what}: ${JSON.stringify(value)} is not a duration (use e.g. "500ms", "10s", "5m", "2h", "1d" or milliseconds)`);
  }
};
function parseDuration(value, what = "duration") {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new DurationInvalidError(value, what);
    return Math.round(value);
  }
  if (typeof value !== "string") throw new DurationInvalidError(value, what);
  const text = value.trim();
  if (text === "") throw new DurationInvalidError(value, what);
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = PART.lastIndex;
  }
  if (consumed !== text.length) throw new DurationInvalidError(value, what);
  return Math.round(total);
}

// src/define/trigger-rule-names.ts
var TRIGGER_RULES = [
  "all_success",
  "all_failed",
  "all_done",
  "all_skipped",
  "one_success",
  "one_failed",
  "one_done",
  "none_failed",
  "none_failed_min_one_success",
  "none_skipped",
  "always"
];
function isTriggerRule(value) {
  return typeof value === "string" && TRIGGER_RULES.includes(value);
}

// src/graph/fingerprint.ts
import { createHash } from "node:crypto";
var HASH_CHARS = 16;
function sha256(text) {
  return createHash("sha256").update(text).digest("hex").slice(0, HASH_CHARS);
}
function canonicalJson(value) {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted = {};
    for (const key of Object.keys(v).sort()) sorted[key] = v[key];
    return sorted;
  });
}
function hashFunction(fn) {
  return sha256(`function:${typeof fn === "function" ? fn.toString() : String(fn)}`);
}
function hashShell(command, env, cwd) {
  return sha256(`shell:${canonicalJson({ command: command ?? null, env: env ?? null, cwd: cwd ?? null })}`);
}
function graphVersion(graph) {
  const { file: _file, ...rest } = graph;
  delete rest.version;
  return sha256(canonicalJson(rest));
}

// src/graph/graph-order.ts
function describeCycle(cycle) {
  if (cycle.length === 0) return "";
  const closed = cycle.length > 1 && cycle[0] === cycle[cycle.length - 1] ? cycle : [...cycle, cycle[0]];
  return closed.join(" \u2192 ");
}
function downstreamMap(upstream) {
  const down = /* @__PURE__ */ new Map();
  for (const id of upstream.keys()) down.set(id, []);
  for (const [id, ups] of upstream) {
    for (const up of ups) if (up !== id) down.get(up)?.push(id);
  }
  return down;
}
function findCycles(upstream) {
  const ids = [...upstream.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  const down = downstreamMap(upstream);
  const index = /* @__PURE__ */ new Map();
  const low = /* @__PURE__ */ new Map();
  const onStack = /* @__PURE__ */ new Set();
  const stack = [];
  const components = [];
  let next = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work = [{ id: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = down.get(frame.id) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id), index.get(to)));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id), low.get(frame.id)));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) components.push(component);
      }
    }
  }
  const cycles = components.map((component) => {
    const members = new Set(component);
    const start = component.reduce((a, b) => position.get(a) <= position.get(b) ? a : b);
    return shortestCycleThrough(start, members, down, position);
  });
  return cycles.sort((a, b) => position.get(a[0]) - position.get(b[0]));
}
function shortestCycleThrough(start, members, down, position) {
  const via = /* @__PURE__ */ new Map();
  const queue = [start];
  const byDeclaration = (a, b) => position.get(a) - position.get(b);
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    for (const to of [...down.get(id) ?? []].sort(byDeclaration)) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [id];
        for (let at = id; at !== start; ) {
          at = via.get(at);
          path.push(at);
        }
        return path.reverse();
      }
      if (!via.has(to)) {
        via.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start];
}
function topologicalOrder(upstream) {
  const ids = [...upstream.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  const down = downstreamMap(upstream);
  const waiting = /* @__PURE__ */ new Map();
  for (const [id, ups] of upstream) waiting.set(id, new Set(ups.filter((u) => u !== id && upstream.has(u))).size);
  const ready = ids.filter((id) => waiting.get(id) === 0).reverse();
  const order = [];
  while (ready.length > 0) {
    const id = ready.pop();
    order.push(id);
    for (const to of new Set(down.get(id))) {
      const left = waiting.get(to) - 1;
      waiting.set(to, left);
      if (left === 0) {
        const p = position.get(to);
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
          const mid = lo + hi >> 1;
          if (position.get(ready[mid]) > p) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, to);
      }
    }
  }
  const selfLoop = [...upstream].some(([id, ups]) => ups.includes(id));
  return order.length === ids.length && !selfLoop ? order : null;
}

// src/graph/types.ts
var DEFAULT_RETRY_DELAY_MS = 3e4;
var DEFAULT_MAX_RETRY_DELAY_MS = 36e5;
var DEFAULT_MAX_ACTIVE_RUNS = 16;

// src/graph/zoned-time.ts
var DAY_MS = 864e5;
var formatters = /* @__PURE__ */ new Map();
function formatterFor(timeZone) {
  let formatter = formatters.get(timeZone);
  if (formatter === void 0) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}
function isValidTimeZone(timeZone) {
  if (typeof timeZone !== "string" || timeZone.trim() === "") return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}
function zoneOffsetMs(timeZone, instantMs) {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  const wholeSecondMs = Math.floor(instantMs / 1e3) * 1e3;
  const parts = formatterFor(timeZone).formatToParts(new Date(wholeSecondMs));
  const field = (type) => Number(parts.find((p) => p.type === type)?.value);
  let year = field("year");
  if (parts.find((p) => p.type === "era")?.value === "BC") year = 1 - year;
  const date = /* @__PURE__ */ new Date(0);
  date.setUTCFullYear(year, field("month") - 1, field("day"));
  date.setUTCHours(field("hour"), field("minute"), field("second"), 0);
  return date.getTime() - wholeSecondMs;
}
function wallToInstants(timeZone, wallMs) {
  const before = zoneOffsetMs(timeZone, wallMs - DAY_MS);
  const after = zoneOffsetMs(timeZone, wallMs + DAY_MS);
  const found = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wallMs - offset;
    if (zoneOffsetMs(timeZone, instant) === offset && !found.includes(instant)) found.push(instant);
  }
  return found.sort((a, b) => a - b);
}
function wallToInstant(timeZone, wallMs) {
  const instants = wallToInstants(timeZone, wallMs);
  if (instants[0] !== void 0) return instants[0];
  return wallMs - zoneOffsetMs(timeZone, wallMs - DAY_MS);
}
var DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
function parseZonedDateTime(text, timeZone) {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === void 0 ? 0 : Number(h);
  const minute = mi === void 0 ? 0 : Number(mi);
  const second = s === void 0 ? 0 : Number(s);
  const ms = frac === void 0 ? 0 : Number(frac.padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = /* @__PURE__ */ new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return null;
  const wallMs = date.getTime();
  if (zone === void 0) return wallToInstant(timeZone, wallMs);
  if (zone.toUpperCase() === "Z") return wallMs;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2));
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  return wallMs - sign * (offsetHours * 36e5 + offsetMinutes * 6e4);
}

// src/graph/compile-pipeline.ts
function compilePipeline(spec, file2) {
  const problems = spec.problems.map((p) => ({ ...p }));
  const report = (p) => problems.push(p);
  const options = spec.options ?? {};
  const timezone = options.timezone ?? "UTC";
  const timezoneOk = isValidTimeZone(timezone);
  if (!timezoneOk) {
    report({ code: "timezone_invalid", message: `timezone ${JSON.stringify(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin")` });
  }
  const defaults = resolveDefaults(options.defaults, report);
  const tasks = compileTasks(spec.tasks, defaults, report);
  const graphWithoutVersion = {
    id: String(options.id),
    file: file2,
    description: optionalString(options.description, "description", report),
    schedule: cloneSchedule(options.schedule),
    timezone,
    start: resolveBoundary(options.start, "start", timezoneOk ? timezone : "UTC", report),
    end: resolveBoundary(options.end, "end", timezoneOk ? timezone : "UTC", report),
    catchup: booleanOption(options.catchup, false, "catchup", report),
    tags: resolveTags(options.tags, report),
    maxActiveRuns: positiveInteger(options.maxActiveRuns, "maxActiveRuns", report) ?? DEFAULT_MAX_ACTIVE_RUNS,
    maxActiveTasks: positiveInteger(options.maxActiveTasks, "maxActiveTasks", report),
    timeoutMs: optionalDuration(options.timeout, "timeout", report, true),
    paramsSchema: resolveParams(options.params, report),
    tasks,
    order: []
  };
  const { start, end } = graphWithoutVersion;
  if (start !== null && end !== null && Date.parse(end) < Date.parse(start)) {
    report({ code: "pipeline_option_invalid", message: `end ${end} is before start ${start}` });
  }
  const upstream = new Map(tasks.map((t) => [t.id, t.upstream]));
  for (const task of tasks) {
    for (const up of task.upstream) {
      if (up === task.id) {
        report({ code: "task_depends_on_itself", message: `task ${task.id} depends on itself`, task: task.id });
      } else if (!upstream.has(up)) {
        report({ code: "dependency_unknown", message: `task ${task.id} needs "${up}", which is not a task of this pipeline`, task: task.id });
      }
    }
  }
  for (const cycle of findCycles(upstream)) {
    report({ code: "pipeline_cycle", message: `tasks form a cycle: ${describeCycle(cycle)}`, task: cycle[0] });
  }
  if (problems.length > 0) return { graph: null, problems };
  const order = topologicalOrder(upstream);
  if (order === null) {
    return { graph: null, problems: [{ code: "pipeline_cycle", message: "the tasks cannot be ordered: they form a cycle" }] };
  }
  graphWithoutVersion.order = order;
  const graph = { ...graphWithoutVersion, version: graphVersion(graphWithoutVersion) };
  return { graph, problems };
}
function resolveDefaults(defaults, report) {
  const base = {
    retries: 0,
    retryDelayMs: DEFAULT_RETRY_DELAY_MS,
    backoff: "fixed",
    maxRetryDelayMs: DEFAULT_MAX_RETRY_DELAY_MS,
    timeoutMs: null
  };
  if (defaults === void 0 || defaults === null) return base;
  if (typeof defaults !== "object") {
    report({ code: "pipeline_option_invalid", message: "defaults must be an object of retry and timeout options" });
    return base;
  }
  return resolveRetryOptions(defaults, base, "defaults", report, void 0);
}
function resolveRetryOptions(options, base, where, report, task) {
  const code = task === void 0 ? "pipeline_option_invalid" : "task_option_invalid";
  const prefix = where ? `${where}: ` : "";
  const say = (message) => report(task === void 0 ? { code, message } : { code, message, task });
  const duration = (value, name, fallback, positive) => {
    if (value === void 0) return fallback;
    try {
      const ms = parseDuration(value, `${prefix}${name}`);
      if (positive && ms <= 0) {
        say(`${prefix}${name} must be longer than 0`);
        return fallback;
      }
      return ms;
    } catch (error) {
      report({ code: "duration_invalid", message: error.message, ...task === void 0 ? {} : { task } });
      return fallback;
    }
  };
  let retries = base.retries;
  if (options.retries !== void 0) {
    if (typeof options.retries === "number" && Number.isInteger(options.retries) && options.retries >= 0) retries = options.retries;
    else say(`${prefix}retries must be a whole number \u2265 0, got ${JSON.stringify(options.retries)}`);
  }
  let backoff = base.backoff;
  if (options.backoff !== void 0) {
    if (options.backoff === "fixed" || options.backoff === "exponential") backoff = options.backoff;
    else say(`${prefix}backoff must be "fixed" or "exponential", got ${JSON.stringify(options.backoff)}`);
  }
  return {
    retries,
    retryDelayMs: duration(options.retryDelay, "retryDelay", base.retryDelayMs, false),
    backoff,
    maxRetryDelayMs: duration(options.maxRetryDelay, "maxRetryDelay", base.maxRetryDelayMs, false),
    // A bad timeout keeps the inherited one (0 stands for "none" only inside this call).
    timeoutMs: duration(options.timeout, "timeout", base.timeoutMs ?? 0, true) || null
  };
}
function compileTasks(specs, defaults, report) {
  const seen = /* @__PURE__ */ new Set();
  const nodes = [];
  for (const spec of specs) {
    if (seen.has(spec.id)) continue;
    seen.add(spec.id);
    nodes.push(compileTask(spec, defaults, report));
  }
  return nodes;
}
function compileTask(spec, defaults, report) {
  const id = spec.id;
  const options = spec.options ?? {};
  const where = "";
  const say = (message) => report({ code: "task_option_invalid", message, task: id });
  const retry = resolveRetryOptions(options, defaults, where, report, id);
  const policy = {
    retries: retry.retries,
    retryDelayMs: retry.retryDelayMs,
    backoff: retry.backoff,
    maxRetryDelayMs: retry.maxRetryDelayMs
  };
  let trigger = "all_success";
  if (options.trigger !== void 0) {
    if (isTriggerRule(options.trigger)) trigger = options.trigger;
    else say(`trigger ${JSON.stringify(options.trigger)} is not a trigger rule (all_success, all_done, none_failed, \u2026)`);
  }
  const label = (value, name) => {
    if (value === void 0) return "default";
    if (typeof value === "string" && isValidId(value)) return value;
    say(`${name} ${JSON.stringify(value)} must match [A-Za-z0-9_.-]{1,250}`);
    return "default";
  };
  let priority = 0;
  if (options.priority !== void 0) {
    if (typeof options.priority === "number" && Number.isFinite(options.priority)) priority = options.priority;
    else say(`priority must be a number, got ${JSON.stringify(options.priority)}`);
  }
  let description = null;
  if (options.description !== void 0) {
    if (typeof options.description === "string") description = options.description;
    else say("description must be a string");
  }
  const needs = { ...spec.needs };
  const after = [...spec.after];
  const upstream = [.../* @__PURE__ */ new Set([...Object.values(needs), ...after, ...spec.map === null ? [] : [spec.map]])];
  return {
    id,
    kind: spec.kind,
    upstream,
    needs,
    after,
    map: spec.map,
    trigger,
    retry: policy,
    timeoutMs: retry.timeoutMs,
    queue: label(options.queue, "queue"),
    pool: label(options.pool, "pool"),
    priority,
    cache: resolveCache(options.cache, where, report, id),
    description,
    command: spec.kind === "shell" ? spec.command ?? null : null,
    codeHash: spec.kind === "shell" ? hashShell(spec.command, spec.env, spec.cwd) : hashFunction(spec.fn)
  };
}
function resolveCache(value, where, report, task) {
  const off = { enabled: false, ttlMs: null, customKey: false };
  if (value === void 0 || value === false) return off;
  if (value === true) return { enabled: true, ttlMs: null, customKey: false };
  if (typeof value !== "object" || value === null) {
    report({ code: "task_option_invalid", message: `${where ? `${where}: ` : ""}cache must be true, false or { key?, ttl? }`, task });
    return off;
  }
  if (value.key !== void 0 && typeof value.key !== "function") {
    report({ code: "task_option_invalid", message: `${where ? `${where}: ` : ""}cache.key must be a function`, task });
  }
  let ttlMs = null;
  if (value.ttl !== void 0) {
    try {
      ttlMs = parseDuration(value.ttl, `${where ? `${where}: ` : ""}cache.ttl`);
    } catch (error) {
      report({ code: "duration_invalid", message: error.message, task });
    }
  }
  return { enabled: true, ttlMs, customKey: typeof value.key === "function" };
}
function resolveParams(schema, report) {
  if (schema === void 0 || schema === null) return null;
  const zod = schema._zod;
  const isObjectSchema = typeof schema === "object" && typeof schema.safeParse === "function" && zod?.def?.type === "object";
  if (!isObjectSchema) {
    report({ code: "params_invalid", message: "params must be a zod object schema (zod 4), e.g. z.object({ threshold: z.number() })" });
    return null;
  }
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch (error) {
    report({ code: "params_invalid", message: `params schema cannot be described as JSON Schema: ${error.message}` });
    return null;
  }
}
function resolveBoundary(value, name, timezone, report) {
  if (value === void 0 || value === null) return null;
  let ms = null;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "string") ms = parseZonedDateTime(value, timezone);
  if (ms === null || !Number.isFinite(ms)) {
    report({
      code: "pipeline_option_invalid",
      message: `${name}: ${JSON.stringify(value instanceof Date ? "Invalid Date" : value)} is not a date (use "YYYY-MM-DD", an ISO timestamp or a Date)`
    });
    return null;
  }
  return new Date(ms).toISOString();
}
function resolveTags(tags, report) {
  if (tags === void 0) return [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) {
    report({ code: "pipeline_option_invalid", message: "tags must be an array of strings" });
    return [];
  }
  return [...new Set(tags)];
}
function positiveInteger(value, name, report) {
  if (value === void 0 || value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be a whole number \u2265 1, got ${JSON.stringify(value)}` });
  return null;
}
function booleanOption(value, fallback, name, report) {
  if (value === void 0) return fallback;
  if (typeof value === "boolean") return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be true or false` });
  return fallback;
}
function optionalString(value, name, report) {
  if (value === void 0 || value === null) return null;
  if (typeof value === "string") return value;
  report({ code: "pipeline_option_invalid", message: `${name} must be a string` });
  return null;
}
function optionalDuration(value, name, report, positive) {
  if (value === void 0 || value === null) return null;
  try {
    const ms = parseDuration(value, name);
    if (positive && ms <= 0) {
      report({ code: "pipeline_option_invalid", message: `${name} must be longer than 0` });
      return null;
    }
    return ms;
  } catch (error) {
    report({ code: "duration_invalid", message: error.message });
    return null;
  }
}
function cloneSchedule(schedule) {
  if (schedule === void 0 || schedule === null) return null;
  if (typeof schedule !== "object") return schedule;
  if ("events" in schedule) {
    const copy = { events: Array.isArray(schedule.events) ? [...schedule.events] : schedule.events };
    if (schedule.cron !== void 0) copy.cron = schedule.cron;
    return copy;
  }
  if ("after" in schedule) return { after: Array.isArray(schedule.after) ? [...schedule.after] : schedule.after };
  return schedule;
}

// src/time/schedule.ts
import { Cron, CronPattern } from "croner";
var ScheduleInvalidError = class extends WeirError {
  constructor(schedule, why) {
    super("schedule_invalid", `schedule ${describe(schedule)} is not valid: ${why}`);
  }
};
var TimezoneInvalidError = class extends WeirError {
  constructor(timezone) {
    super("timezone_invalid", `timezone ${describe(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin", "America/New_York")`);
  }
};
function describe(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
var SCHEDULE_PRESETS = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *"
};
var CRON_HELP = 'use a cron expression like "0 2 * * *", a preset like "@daily", an interval like "15m", or null for manual runs';
var compiled = /* @__PURE__ */ new Map();
var MAX_COMPILED = 1e3;
function compiledCron(expression) {
  let entry = compiled.get(expression);
  if (entry === void 0) {
    const cron = new Cron(expression, { utcOffset: 0, mode: "5-part" });
    const hours = new CronPattern(expression, void 0, { mode: "5-part" }).hour;
    entry = { cron, everyHour: hours.length === 24 && hours.every((h) => h === 1) };
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value);
    compiled.set(expression, entry);
  }
  return entry;
}
function assertTimezone(timezone) {
  if (!isValidTimeZone(timezone)) throw new TimezoneInvalidError(timezone);
}
function parseCron(text, timezone, original) {
  const trimmed = text.trim().replace(/\s+/g, " ");
  let expression = trimmed;
  if (trimmed.startsWith("@")) {
    const preset = SCHEDULE_PRESETS[trimmed.toLowerCase()];
    if (preset === void 0) {
      throw new ScheduleInvalidError(original, `unknown preset (presets: ${Object.keys(SCHEDULE_PRESETS).join(", ")})`);
    }
    expression = preset;
  }
  const fields = expression.split(" ").length;
  if (fields !== 5) {
    throw new ScheduleInvalidError(original, `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this has ${fields}; ${CRON_HELP}`);
  }
  let entry;
  try {
    entry = compiledCron(expression);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, "");
    throw new ScheduleInvalidError(original, `${why}; ${CRON_HELP}`);
  }
  if (entry.cron.nextRun(/* @__PURE__ */ new Date(0)) === null) {
    throw new ScheduleInvalidError(original, "it never fires (no date matches it)");
  }
  return { kind: "cron", expression, timezone };
}
function parseStringSchedule(text, timezone, anchorMs) {
  const trimmed = text.trim();
  if (trimmed === "") throw new ScheduleInvalidError(text, `it is empty; ${CRON_HELP}`);
  if (!/\s/.test(trimmed) && !trimmed.startsWith("@")) {
    let everyMs;
    try {
      everyMs = parseDuration(trimmed, "schedule");
    } catch {
      throw new ScheduleInvalidError(text, `it is neither a cron expression nor an interval; ${CRON_HELP}`);
    }
    if (everyMs < 1e3) throw new ScheduleInvalidError(text, "an interval must be at least 1s");
    return { kind: "interval", everyMs, anchorMs };
  }
  return parseCron(trimmed, timezone, text);
}
function stringList(value, schedule, name, check) {
  if (!Array.isArray(value) || value.length === 0) throw new ScheduleInvalidError(schedule, `${name} must be a non-empty array`);
  for (const item of value) {
    if (typeof item !== "string" || !check(item)) throw new ScheduleInvalidError(schedule, `${name} has an invalid entry ${describe(item)}`);
  }
  return [...new Set(value)];
}
function parseSchedule(schedule, timezone, anchorMs = 0) {
  assertTimezone(timezone);
  if (schedule === null || schedule === void 0) return { kind: "manual" };
  if (typeof schedule === "string") return parseStringSchedule(schedule, timezone, anchorMs);
  if (typeof schedule !== "object" || Array.isArray(schedule)) {
    throw new ScheduleInvalidError(schedule, `a schedule is a string, { events: [...] }, { after: [...] } or null; ${CRON_HELP}`);
  }
  const keys = Object.keys(schedule);
  if ("events" in schedule && keys.every((k) => k === "events" || k === "cron")) {
    const events = stringList(schedule.events, schedule, "events", (s) => s.trim() !== "");
    if (schedule.cron === void 0) return { kind: "events", events, cron: null };
    if (typeof schedule.cron !== "string") throw new ScheduleInvalidError(schedule, "cron must be a string");
    return { kind: "events", events, cron: parseCron(schedule.cron, timezone, schedule) };
  }
  if ("after" in schedule && keys.length === 1) {
    return { kind: "after", pipelines: stringList(schedule.after, schedule, "after", isValidId) };
  }
  throw new ScheduleInvalidError(schedule, "an object schedule is { events: [...], cron? } or { after: [...] }");
}
function validateSchedule(schedule, timezone) {
  try {
    parseSchedule(schedule, timezone);
    return null;
  } catch (error) {
    if (error instanceof WeirError) return error.message;
    throw error;
  }
}

// src/worker/bundler.ts
var starting = null;
function bundler() {
  starting ??= import("esbuild").then(async (esbuild) => {
    try {
      await esbuild.transform("", { loader: "ts" });
    } catch {
    }
    return esbuild;
  });
  return starting;
}

// src/worker/load-pipeline-file.ts
var PipelineModules = class {
  files = /* @__PURE__ */ new Map();
  versions = /* @__PURE__ */ new Map();
  inflight = /* @__PURE__ */ new Map();
  /** Loads (or reloads, if its code changed) a file. Never throws: problems are in the result. */
  load(file2) {
    const path = resolve(file2);
    const running = this.inflight.get(path);
    if (running) return running;
    const loading = this.loadNow(path).finally(() => this.inflight.delete(path));
    this.inflight.set(path, loading);
    return loading;
  }
  /** The pipeline of the current version of a file (loading it if needed). */
  async current(file2, pipelineId) {
    const path = resolve(file2);
    const result = this.files.get(path)?.result ?? await this.load(path);
    const pipeline = this.files.get(path)?.pipelines.get(pipelineId);
    if (pipeline) return { ok: true, pipeline };
    return { ok: false, message: missingMessage(path, pipelineId, result) };
  }
  /**
   * The pipeline at exactly `version`. Fast when that version is loaded (no fs work); otherwise the
   * file is loaded again, in case it changed back or this worker hasn't loaded it yet.
   */
  async version(file2, pipelineId, version2) {
    const hit = this.versions.get(versionKey(pipelineId, version2));
    if (hit) return { ok: true, pipeline: hit };
    const path = resolve(file2);
    const result = await this.load(path);
    const found = this.versions.get(versionKey(pipelineId, version2));
    if (found) return { ok: true, pipeline: found };
    const now = result.pipelines.find((p) => p.id === pipelineId);
    if (now) {
      return {
        ok: false,
        message: `pipeline ${pipelineId} version ${version2} is not the version in ${displayPath(path)} (${now.version}); the file changed since the run started`
      };
    }
    return { ok: false, message: `pipeline ${pipelineId} version ${version2} can't be loaded: ${missingMessage(path, pipelineId, result)}` };
  }
  async loadNow(path) {
    const previous = this.files.get(path);
    const imported = await importModule(path, previous?.hash);
    if (!imported.ok) return { file: path, pipelines: [], problems: [{ file: path, code: "import_failed", message: imported.message }] };
    if (imported.exports === null && previous) return previous.result;
    const loaded2 = compileExports(path, imported.exports ?? {});
    this.files.set(path, { hash: imported.hash, ...loaded2 });
    for (const pipeline of loaded2.pipelines.values()) this.versions.set(versionKey(pipeline.graph.id, pipeline.graph.version), pipeline);
    return loaded2.result;
  }
};
function versionKey(pipelineId, version2) {
  return `${pipelineId}
${version2}`;
}
function missingMessage(path, pipelineId, result) {
  const fileProblem = result.problems.find((p) => p.pipeline === void 0);
  if (fileProblem) return `${displayPath(path)}: ${fileProblem.message}`;
  const own = result.problems.find((p) => p.pipeline === pipelineId);
  if (own) return `pipeline ${pipelineId} in ${displayPath(path)} is invalid: ${own.message}`;
  return `${displayPath(path)} defines no pipeline ${pipelineId}`;
}
function compileExports(path, exports) {
  const problems = [];
  const graphs = [];
  const pipelines = /* @__PURE__ */ new Map();
  const found = /* @__PURE__ */ new Map();
  for (const [name, value] of Object.entries(exports)) {
    if (!isPipeline(value)) continue;
    const seen = found.get(value.id);
    if (seen === void 0) {
      found.set(value.id, { pipeline: value, name });
    } else if (seen.pipeline !== value) {
      problems.push({
        file: path,
        pipeline: value.id,
        code: "pipeline_duplicate",
        message: `pipeline id "${value.id}" is defined twice in this file (exports ${exportName(seen.name)} and ${exportName(name)})`
      });
    }
  }
  if (found.size === 0) {
    problems.push({ file: path, code: "no_pipeline", message: "the file exports no pipeline (export default pipeline({ id: \u2026 }, (p) => { \u2026 }))" });
  }
  for (const { pipeline } of found.values()) {
    if (problems.some((p) => p.pipeline === pipeline.id && p.code === "pipeline_duplicate")) continue;
    const spec = pipeline.spec;
    let compiled2;
    try {
      compiled2 = compilePipeline(spec, path);
    } catch (error) {
      problems.push({ file: path, pipeline: pipeline.id, code: "compile_failed", message: `compiling the pipeline threw: ${oneLine(error)}` });
      continue;
    }
    const own = compiled2.problems.map((p) => ({ ...p, file: path, pipeline: pipeline.id }));
    const scheduleProblem = safeValidateSchedule(spec);
    if (scheduleProblem !== null && !own.some((p) => p.message === scheduleProblem)) {
      own.push({ file: path, pipeline: pipeline.id, code: "schedule_invalid", message: scheduleProblem });
    }
    problems.push(...own);
    if (compiled2.graph && own.length === 0) {
      graphs.push(compiled2.graph);
      pipelines.set(pipeline.id, { file: path, spec, graph: compiled2.graph });
    }
  }
  return { result: { file: path, pipelines: graphs, problems }, pipelines };
}
function safeValidateSchedule(spec) {
  const schedule = spec.options.schedule ?? null;
  try {
    return validateSchedule(schedule, spec.options.timezone ?? "UTC");
  } catch (error) {
    return `invalid schedule: ${oneLine(error)}`;
  }
}
function exportName(name) {
  return name === "default" ? "default" : `"${name}"`;
}
async function importModule(path, knownHash) {
  process.setSourceMapsEnabled(true);
  const temp = join(dirname(path), `.${basename(path)}.weir-${process.pid}-${randomBytes(6).toString("hex")}.mjs`);
  const esbuild = await bundler();
  let code;
  try {
    const built = await esbuild.build({
      entryPoints: [path],
      outfile: temp,
      bundle: true,
      format: "esm",
      platform: "node",
      packages: "external",
      sourcemap: "inline",
      target: "node20",
      write: false,
      logLevel: "silent",
      absWorkingDir: dirname(path)
    });
    const output = built.outputFiles[0];
    if (!output) return { ok: false, message: "esbuild produced no output" };
    code = output.contents;
  } catch (error) {
    return { ok: false, message: describeBuildError(error, path) };
  }
  const hash = createHash2("sha256").update(code).digest("hex");
  if (hash === knownHash) return { ok: true, hash, exports: null };
  removeStaleTempModules(path);
  try {
    writeFileSync(temp, code, { flag: "wx" });
  } catch (error) {
    const errno = error.code;
    if (errno === "EACCES" || errno === "EROFS" || errno === "EPERM") return importWithTsx(path, knownHash);
    return { ok: false, message: `can't write the bundled module next to the file: ${oneLine(error)}` };
  }
  try {
    const exports = await import(pathToFileURL(temp).href);
    return { ok: true, hash, exports };
  } catch (error) {
    return { ok: false, message: describeImportError(error, path, temp) };
  } finally {
    try {
      unlinkSync(temp);
    } catch {
    }
  }
}
function removeStaleTempModules(path) {
  const prefix = `.${basename(path)}.weir-`;
  let names;
  try {
    names = readdirSync(dirname(path)).filter((name) => name.startsWith(prefix) && name.endsWith(".mjs"));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
    }
  }
}
function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}
async function importWithTsx(path, knownHash) {
  let hash;
  try {
    hash = createHash2("sha256").update(readFileSync(path)).digest("hex");
  } catch (error) {
    return { ok: false, message: oneLine(error) };
  }
  if (hash === knownHash) return { ok: true, hash, exports: null };
  try {
    const { tsImport } = await import("tsx/esm/api");
    const exports = await tsImport(pathToFileURL(path).href, import.meta.url);
    return { ok: true, hash, exports };
  } catch (error) {
    return { ok: false, message: describeImportError(error, path, null) };
  }
}
function describeBuildError(error, path) {
  const errors = error.errors;
  const first = Array.isArray(errors) ? errors[0] : void 0;
  if (!first) return oneLine(error);
  const loc = first.location;
  if (!loc) return first.text;
  const file2 = isAbsolute(loc.file) ? loc.file : resolve(dirname(path), loc.file);
  return `${firstLine(first.text)} (at ${displayPath(file2)}:${loc.line}:${loc.column + 1})`;
}
function describeImportError(error, path, temp) {
  let message = oneLine(error);
  if (temp !== null) message = message.split(pathToFileURL(temp).href).join(path).split(temp).join(path);
  const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
  let fallback = null;
  for (const line of stack.split("\n").slice(1)) {
    const match = /^at (?:.*\()?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    let file2 = decodeURIComponent(match[1].replace(/^file:\/\//, ""));
    if (temp !== null && file2 === temp) file2 = path;
    const where = `${message} (at ${displayPath(file2)}:${match[2]}:${match[3]})`;
    if (file2 === path) return where;
    if (fallback === null && !file2.includes("/node_modules/") && !file2.includes(".weir-") && !WEIR_CODE.some((dir) => file2.startsWith(dir))) fallback = where;
  }
  if (fallback !== null) return fallback;
  return message;
}
var WEIR_ROOT = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../.." : "..", import.meta.url));
var WEIR_CODE = [join(WEIR_ROOT, "dist") + sep, join(WEIR_ROOT, "src") + sep];
function oneLine(error) {
  if (error instanceof Error) return `${error.name !== "Error" && !error.message.startsWith(error.name) ? `${error.name}: ` : ""}${firstLine(error.message)}`;
  return firstLine(String(error));
}
function firstLine(text) {
  return text.split("\n", 1)[0] ?? "";
}
function displayPath(path) {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

// src/worker/run-try.ts
import { dirname as dirname3, resolve as resolve2 } from "node:path";

// src/observe/try-log.ts
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname as dirname2 } from "node:path";
var TRY_LOG_CAP_BYTES = 10 * 1024 * 1024;
var TRUNCATED_LINE = "\u2026 log truncated at 10 MiB";
var TryLog = class {
  constructor(path, capBytes = TRY_LOG_CAP_BYTES) {
    this.path = path;
    this.capBytes = capBytes;
  }
  fd = null;
  bytes = 0;
  truncated = false;
  closed = false;
  /** Partial lines of out/err writes that didn't end in a newline yet. */
  pending = { out: "", err: "" };
  /** Writes one line per line of `text` (a trailing newline doesn't make an empty line). */
  line(stream, text) {
    if (this.closed || this.truncated) return;
    const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    const stamp = (/* @__PURE__ */ new Date()).toISOString();
    let chunk = "";
    for (const l of lines) chunk += `${stamp} ${stream} ${l.endsWith("\r") ? l.slice(0, -1) : l}
`;
    this.append(chunk, stamp);
  }
  /** A raw write to stdout/stderr: complete lines are logged now, a partial one when it completes. */
  write(stream, text) {
    if (this.closed || this.truncated) return;
    const all = this.pending[stream] + text;
    const cut = all.lastIndexOf("\n");
    if (cut === -1) {
      if (all.length > 64 * 1024) {
        this.pending[stream] = "";
        this.line(stream, all);
      } else {
        this.pending[stream] = all;
      }
      return;
    }
    this.pending[stream] = all.slice(cut + 1);
    this.line(stream, all.slice(0, cut));
  }
  /** Logs pending partial lines and closes the file. Idempotent. */
  close() {
    if (this.closed) return;
    for (const stream of ["out", "err"]) {
      if (this.pending[stream] !== "") {
        const rest = this.pending[stream];
        this.pending[stream] = "";
        this.line(stream, rest);
      }
    }
    this.closed = true;
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
  append(chunk, stamp) {
    let size = Buffer.byteLength(chunk);
    if (this.bytes + size > this.capBytes) {
      let kept = "";
      let keptBytes = 0;
      for (const l of chunk.split("\n")) {
        const n2 = Buffer.byteLength(l) + 1;
        if (l === "" || this.bytes + keptBytes + n2 > this.capBytes) break;
        kept += `${l}
`;
        keptBytes += n2;
      }
      this.truncated = true;
      chunk = `${kept}${stamp} warn ${TRUNCATED_LINE}
`;
      size = Buffer.byteLength(chunk);
    }
    try {
      if (this.fd === null) {
        mkdirSync(dirname2(this.path), { recursive: true });
        this.fd = openSync(this.path, "a");
      }
      writeSync(this.fd, chunk);
      this.bytes += size;
    } catch (error) {
      this.truncated = true;
      try {
        writeSync(2, `weir: can't write the try log ${this.path}: ${error.message}
`);
      } catch {
      }
    }
  }
};

// src/operators/shell.ts
import { spawn } from "node:child_process";
var runningGroups = /* @__PURE__ */ new Set();
function paramEnvName(name) {
  return `WEIR_PARAM_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}
function weirEnv(run) {
  const env = {
    WEIR_RUN_ID: run.runId,
    WEIR_PIPELINE_ID: run.pipelineId,
    WEIR_TASK_ID: run.taskId,
    WEIR_MAP_INDEX: String(run.mapIndex),
    WEIR_LOGICAL_DATE: run.logicalDate.toISOString(),
    WEIR_INTERVAL_START: run.interval.start.toISOString(),
    WEIR_INTERVAL_END: run.interval.end.toISOString(),
    WEIR_TRY_NUMBER: String(run.tryNumber)
  };
  for (const [name, value] of Object.entries(run.params)) {
    if (value === void 0) continue;
    env[paramEnvName(name)] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return env;
}
function runShell(run) {
  return new Promise((resolve3) => {
    if (run.signal.aborted) {
      resolve3({ ok: false, name: "ShellCommandAbortedError", message: "command not started: the try was aborted", aborted: true });
      return;
    }
    const child = spawn("/bin/sh", ["-c", run.command], {
      cwd: run.cwd,
      env: { ...process.env, ...run.env, ...weirEnv(run) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    });
    const pid = child.pid;
    if (pid !== void 0) runningGroups.add(pid);
    let lastOut = "";
    let lastErr = "";
    const tails = { out: "", err: "" };
    const track = (stream, text) => {
      const all = tails[stream] + text;
      const lines = all.split("\n");
      tails[stream] = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        if (stream === "out") lastOut = line.replace(/\r$/, "");
        else lastErr = line.replace(/\r$/, "");
      }
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (text) => {
      track("out", text);
      run.onOutput("out", text);
    });
    child.stderr.on("data", (text) => {
      track("err", text);
      run.onOutput("err", text);
    });
    let aborted = false;
    let killTimer;
    const killGroup = (signal) => {
      if (child.pid === void 0) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), run.killGraceMs ?? 2e3);
    };
    run.signal.addEventListener("abort", onAbort, { once: true });
    let spawnError = null;
    child.on("error", (error) => {
      spawnError = error;
      if (child.pid === void 0) {
        run.signal.removeEventListener("abort", onAbort);
        resolve3({ ok: false, name: "ShellCommandFailedError", message: `command could not start: ${error.message}`, aborted });
      }
    });
    let drainTimer;
    child.on("exit", () => {
      killGroup("SIGKILL");
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 2e3);
      drainTimer.unref();
    });
    child.on("close", (code, signal) => {
      if (pid !== void 0) runningGroups.delete(pid);
      run.signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (drainTimer) clearTimeout(drainTimer);
      for (const stream of ["out", "err"]) if (tails[stream] !== "") track(stream, "\n");
      const detail = lastErr === "" ? "" : `: ${lastErr}`;
      if (spawnError) {
        resolve3({ ok: false, name: "ShellCommandFailedError", message: `command could not start: ${spawnError.message}`, aborted });
      } else if (code === 0 && !aborted) {
        resolve3({ ok: true, output: lastOut });
      } else if (code !== null) {
        resolve3({ ok: false, name: "ShellCommandFailedError", message: `command exited with code ${code}${detail}`, aborted });
      } else {
        resolve3({ ok: false, name: "ShellCommandFailedError", message: `command was killed by ${signal ?? "a signal"}${detail}`, aborted });
      }
    });
  });
}

// src/worker/params.ts
import { z as z2 } from "zod";
function paramsForTry(schema, stored) {
  if (schema === void 0) return stored;
  try {
    const parsed = schema.safeParse(stored);
    return parsed.success ? parsed.data : stored;
  } catch {
    return stored;
  }
}

// src/worker/task-failures.ts
function abortFailure(job2, reason) {
  if (reason === "timeout") return { name: "TaskTimeoutError", message: timeoutMessage(job2), kind: "timeout", retryable: true };
  return { name: "TaskCanceledError", message: `task ${job2.taskId} was canceled`, kind: "canceled", retryable: false };
}
function timeoutMessage(job2) {
  return `task ${job2.taskId} timed out after ${formatTimeout(job2.timeoutMs ?? 0)}`;
}
function formatTimeout(ms) {
  if (ms > 0 && ms % 36e5 === 0) return `${ms / 36e5}h`;
  if (ms > 0 && ms % 6e4 === 0) return `${ms / 6e4}m`;
  if (ms >= 1e3) return `${Number((ms / 1e3).toFixed(3))}s`;
  return `${ms}ms`;
}

// src/worker/value-codec.ts
import { parse, stringify } from "devalue";
var OutputNotSerializableError = class extends WeirError {
  constructor(message, cause) {
    super("output_not_serializable", message, { cause, input: true });
    this.name = "OutputNotSerializableError";
  }
};
function encodeValue(value, where) {
  try {
    return stringify(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const path = typeof error.path === "string" ? error.path : "";
    const at = path === "" ? "" : ` (at ${path})`;
    throw new OutputNotSerializableError(`${where} returned a value that can't be serialized: ${reason}${at}`, error);
  }
}
function decodeValue(text) {
  return parse(text);
}

// src/worker/run-try.ts
var TryRunner = class {
  constructor(options) {
    this.options = options;
  }
  current = null;
  get busy() {
    return this.current !== null;
  }
  async run(job2) {
    const startedMs = Date.now();
    const running = { job: job2, controller: new AbortController(), log: new TryLog(job2.logPath), abortReason: null, interrupt: null };
    this.current = running;
    const restore = captureOutput(running.log);
    let result;
    try {
      result = await new Promise((settle) => {
        running.interrupt = (error) => settle(failureResult(error, true));
        this.execute(running).then(settle, (error) => settle(internalFailure(error)));
      });
    } finally {
      running.interrupt = null;
      restore();
    }
    if (running.abortReason !== null && result.outcome !== "failure") result = abortedResult(job2, running.abortReason);
    else if (running.abortReason !== null && result.outcome === "failure" && result.error.kind === "error") result = abortedResult(job2, running.abortReason);
    if (result.outcome === "failure") writeFailure(running.log, result.error);
    try {
      running.log.close();
    } catch {
    }
    if (this.current === running) this.current = null;
    return { tryKey: job2.tryKey, result, startedMs, endedMs: Date.now() };
  }
  abort(tryKey, reason) {
    const running = this.current;
    if (!running || running.job.tryKey !== tryKey || running.abortReason !== null) return;
    running.abortReason = reason;
    running.controller.abort(new Error(reason === "timeout" ? timeoutMessage(running.job) : `task ${running.job.taskId} was canceled`));
  }
  /** An uncaught exception or unhandled rejection: fails the running try; false if none runs. */
  interruptCurrent(error) {
    const interrupt = this.current?.interrupt;
    if (!interrupt) return false;
    interrupt(error);
    return true;
  }
  async execute(running) {
    const { job: job2 } = running;
    const found = await this.options.modules.version(job2.file, job2.pipelineId, job2.version);
    if (!found.ok) return failure("PipelineVersionUnavailableError", found.message, false);
    const { spec } = found.pipeline;
    const task = spec.tasks.find((t) => t.id === job2.taskId);
    if (!task) return failure("TaskNotFoundError", `pipeline ${job2.pipelineId} version ${job2.version} has no task ${job2.taskId}`, false);
    if (task.kind === "shell") return this.executeShell(running, task, found.pipeline.file);
    const ctx = buildContext(job2, paramsForTry(spec.options.params, job2.params), running);
    const inputs = {};
    for (const [name, text] of Object.entries(job2.inputs)) inputs[name] = decodeValue(text);
    const fn = task.fn;
    if (typeof fn !== "function") return failure("TaskNotFoundError", `task ${job2.taskId} has no function`, false);
    let output;
    try {
      output = job2.item !== void 0 || task.map !== null ? await fn(ctx, job2.item === void 0 ? void 0 : decodeValue(job2.item), inputs) : await fn(ctx, inputs);
    } catch (error) {
      return failureResult(error, false);
    }
    try {
      return { outcome: "success", output: encodeValue(output, `task "${job2.taskId}"`) };
    } catch (error) {
      return failure("OutputNotSerializableError", error.message, false);
    }
  }
  async executeShell(running, task, file2) {
    const { job: job2 } = running;
    const base = dirname3(file2);
    const outcome = await runShell({
      command: task.command ?? "",
      cwd: task.cwd === void 0 ? base : resolve2(base, task.cwd),
      env: task.env,
      runId: job2.runId,
      pipelineId: job2.pipelineId,
      taskId: job2.taskId,
      mapIndex: job2.mapIndex,
      logicalDate: new Date(job2.logicalDateMs),
      interval: { start: new Date(job2.intervalStartMs), end: new Date(job2.intervalEndMs) },
      tryNumber: job2.tryNumber,
      params: job2.params,
      signal: running.controller.signal,
      killGraceMs: this.options.shellKillGraceMs,
      onOutput: (stream, text) => running.log.write(stream, text)
    });
    if (outcome.ok) return { outcome: "success", output: encodeValue(outcome.output, `task "${job2.taskId}"`) };
    return failure(outcome.name, outcome.message, true);
  }
};
function buildContext(job2, params, running) {
  const log = (level) => (message, fields) => {
    running.log.line(level, fields === void 0 ? String(message) : `${String(message)} ${stringifyFields(fields)}`);
  };
  const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return {
    runId: job2.runId,
    pipelineId: job2.pipelineId,
    taskId: job2.taskId,
    mapIndex: job2.mapIndex,
    logicalDate: new Date(job2.logicalDateMs),
    interval: { start: new Date(job2.intervalStartMs), end: new Date(job2.intervalEndMs) },
    params,
    tryNumber: job2.tryNumber,
    maxTries: job2.maxTries,
    idempotencyKey: job2.idempotencyKey,
    log: logger,
    signal: running.controller.signal
  };
}
function stringifyFields(fields) {
  try {
    return JSON.stringify(fields, (_key, value) => typeof value === "bigint" ? value.toString() : value) ?? "";
  } catch {
    return '{"fields":"not serializable"}';
  }
}
function captureOutput(log) {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (stream) => function write(chunk, encoding, callback) {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : String(chunk);
    log.write(stream, text);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => done());
    return true;
  };
  process.stdout.write = capture("out");
  process.stderr.write = capture("err");
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
}
function failure(name, message, retryable, stack) {
  const error = { name, message, retryable, kind: "error" };
  if (stack !== void 0) error.stack = stack;
  return { outcome: "failure", error };
}
function failureResult(error, uncaught) {
  if (error instanceof Error) {
    const name = error.name || error.constructor?.name || "Error";
    if (name === "SkipTask" && !uncaught) return { outcome: "skipped", reason: error.message };
    return failure(name, error.message, name !== "FailWithoutRetry", error.stack);
  }
  if (typeof error === "object" && error !== null && typeof error.name === "string") {
    const { name, message } = error;
    if (name === "SkipTask" && !uncaught) return { outcome: "skipped", reason: String(message ?? "") };
    return failure(name, String(message ?? ""), name !== "FailWithoutRetry");
  }
  return failure("Error", `the task threw a non-error value: ${describeThrown(error)}`, true);
}
function internalFailure(error) {
  const result = failureResult(error, true);
  if (result.outcome === "failure") result.error.retryable = true;
  return result;
}
function describeThrown(value) {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}
function abortedResult(job2, reason) {
  return { outcome: "failure", error: abortFailure(job2, reason) };
}
function writeFailure(log, error) {
  try {
    log.line("error", error.stack ?? `${error.name}: ${error.message}`);
  } catch {
  }
}

// bench/.tmp-tb/tb.ts
var modules = new PipelineModules();
var file = new URL("./p.ts", import.meta.url).pathname;
var loaded = await modules.load(file);
var version = loaded.pipelines[0].version;
var runner = new TryRunner({ modules, shellKillGraceMs: 100 });
var job = (i) => ({ tryKey: `r/t${i % 10}/-1/${i}`, file, pipelineId: "tb", version, taskId: `t${i % 10}`, mapIndex: -1, tryNumber: 1, maxTries: 1, runId: "r", logicalDateMs: 0, intervalStartMs: 0, intervalEndMs: 0, params: {}, inputs: {}, logPath: `/tmp/tblogs/${i}.log`, timeoutMs: null, idempotencyKey: "k" });
for (let i = 0; i < 2e3; i++) await runner.run(job(i));
var n = 2e4;
var t0 = performance.now();
var c0 = process.cpuUsage();
for (let i = 0; i < n; i++) await runner.run(job(i));
var c = process.cpuUsage(c0);
console.log(`${((performance.now() - t0) * 1e3 / n).toFixed(1)} \xB5s/try wall, ${((c.user + c.system) / n).toFixed(1)} \xB5s/try cpu`);
