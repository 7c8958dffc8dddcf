// bench/.tmp-tb/coord.ts
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as join2 } from "node:path";

// src/common/ids.ts
var ID_PATTERN = /^[A-Za-z0-9_.-]{1,250}$/;
function isValidId(value) {
  return ID_PATTERN.test(value) && value !== "." && value !== "..";
}

// src/define/spec.ts
var PIPELINE_BRAND = Symbol.for("weir.pipeline");

// src/define/pipeline.ts
function pipeline(options, build) {
  const spec3 = { options: { ...options }, tasks: [], problems: [] };
  const taken = /* @__PURE__ */ new Set();
  const problem = (p) => {
    spec3.problems.push(p);
  };
  const refId = (ref, task, where) => {
    if (typeof ref !== "object" || ref === null || typeof ref.id !== "string") {
      problem({ code: "reference_invalid", message: `${where} of task ${task} is not a task reference`, task });
      return null;
    }
    const id = ref.id;
    return id;
  };
  const add = (id, spec0) => {
    if (typeof id !== "string" || !isValidId(id)) {
      problem({ code: "task_id_invalid", message: `task id ${JSON.stringify(id)} must match [A-Za-z0-9_.-]{1,250}`, task: String(id) });
    } else if (taken.has(id)) {
      problem({ code: "task_duplicate", message: `task id "${id}" is defined twice`, task: id });
    }
    taken.add(id);
    spec3.tasks.push({ id, ...spec0 });
    const ref = Object.freeze({ kind: "task", id });
    return ref;
  };
  const collectUpstream = (id, options2) => {
    const needs = {};
    for (const [name, ref] of Object.entries(options2.needs ?? {})) {
      const up = refId(ref, id, `needs.${name}`);
      if (up !== null) needs[name] = up;
    }
    const after = [];
    if (options2.after !== void 0 && !Array.isArray(options2.after)) {
      problem({ code: "reference_invalid", message: `after of task ${id} must be an array of task references`, task: id });
    } else {
      for (const [i, ref] of (options2.after ?? []).entries()) {
        const up = refId(ref, id, `after[${i}]`);
        if (up !== null) after.push(up);
      }
    }
    const map = options2.map === void 0 ? null : refId(options2.map, id, "map");
    return { needs, after, map };
  };
  const builder = {
    task(id, a, b) {
      const fn = b === void 0 ? a : b;
      const options2 = b === void 0 ? {} : a ?? {};
      if (typeof fn !== "function") {
        problem({ code: "task_function_missing", message: `task ${id} needs a function`, task: id });
      }
      const { needs, after, map, ...rest } = options2;
      const upstream = collectUpstream(id, { needs, after, map });
      return add(id, { kind: "function", ...upstream, options: rest, fn });
    },
    shell(id, a, b) {
      const command = b === void 0 ? a : b;
      const options2 = b === void 0 ? {} : a ?? {};
      if (typeof command !== "string" || command.trim() === "") {
        problem({ code: "shell_command_missing", message: `shell task ${id} needs a command string`, task: id });
      }
      const { after, env, cwd, ...rest } = options2;
      const upstream = collectUpstream(id, { after });
      const task = { kind: "shell", ...upstream, options: rest, command };
      if (env !== void 0) task.env = env;
      if (cwd !== void 0) task.cwd = cwd;
      return add(id, task);
    }
  };
  if (typeof options?.id !== "string" || !isValidId(options.id)) {
    problem({ code: "pipeline_id_invalid", message: `pipeline id ${JSON.stringify(options?.id)} must match [A-Za-z0-9_.-]{1,250}` });
  }
  try {
    build(builder);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    problem({ code: "pipeline_build_failed", message: `building the pipeline threw: ${message}` });
  }
  return Object.freeze({ [PIPELINE_BRAND]: true, id: String(options?.id), spec: spec3 });
}

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
function graphVersion(graph2) {
  const { file: _file, ...rest } = graph2;
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
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return true;
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
function compilePipeline(spec3, file) {
  const problems = spec3.problems.map((p) => ({ ...p }));
  const report = (p) => problems.push(p);
  const options = spec3.options ?? {};
  const timezone = options.timezone ?? "UTC";
  const timezoneOk = isValidTimeZone(timezone);
  if (!timezoneOk) {
    report({ code: "timezone_invalid", message: `timezone ${JSON.stringify(timezone)} is not an IANA time zone (e.g. "UTC", "Europe/Berlin")` });
  }
  const defaults = resolveDefaults(options.defaults, report);
  const tasks = compileTasks(spec3.tasks, defaults, report);
  const graphWithoutVersion = {
    id: String(options.id),
    file,
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
  const graph2 = { ...graphWithoutVersion, version: graphVersion(graphWithoutVersion) };
  return { graph: graph2, problems };
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
  for (const spec3 of specs) {
    if (seen.has(spec3.id)) continue;
    seen.add(spec3.id);
    nodes.push(compileTask(spec3, defaults, report));
  }
  return nodes;
}
function compileTask(spec3, defaults, report) {
  const id = spec3.id;
  const options = spec3.options ?? {};
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
  const needs = { ...spec3.needs };
  const after = [...spec3.after];
  const upstream = [.../* @__PURE__ */ new Set([...Object.values(needs), ...after, ...spec3.map === null ? [] : [spec3.map]])];
  return {
    id,
    kind: spec3.kind,
    upstream,
    needs,
    after,
    map: spec3.map,
    trigger,
    retry: policy,
    timeoutMs: retry.timeoutMs,
    queue: label(options.queue, "queue"),
    pool: label(options.pool, "pool"),
    priority,
    cache: resolveCache(options.cache, where, report, id),
    description,
    command: spec3.kind === "shell" ? spec3.command ?? null : null,
    codeHash: spec3.kind === "shell" ? hashShell(spec3.command, spec3.env, spec3.cwd) : hashFunction(spec3.fn)
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
    return toJsonSchema(schema);
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
function toJsonSchema(schema) {
  const convert = schema.toJSONSchema;
  if (typeof convert !== "function") throw new Error("the schema has no toJSONSchema method (zod 4 is required)");
  return convert.call(schema, { io: "input", unrepresentable: "any" });
}

// src/engine/types.ts
function instanceKey(taskId, mapIndex) {
  return mapIndex < 0 ? taskId : `${taskId}[${mapIndex}]`;
}
function isEmptyDecision(decision) {
  return decision.run === void 0 && decision.transitions.length === 0 && decision.actions.length === 0 && decision.timers.length === 0;
}

// src/engine/states.ts
var TERMINAL_TASK_STATES = /* @__PURE__ */ new Set([
  "success",
  "failed",
  "skipped",
  "upstream_failed",
  "canceled",
  "removed"
]);
var TERMINAL_RUN_STATES = /* @__PURE__ */ new Set(["success", "failed", "canceled"]);
function isTerminalTaskState(state2) {
  return TERMINAL_TASK_STATES.has(state2);
}
function isTerminalRunState(state2) {
  return TERMINAL_RUN_STATES.has(state2);
}

// src/store/sql/instances.ts
function insertPendingInstancesSql(rowCount) {
  let sql = insertPendingBySize.get(rowCount);
  if (sql === void 0) {
    const tuples = Array.from({ length: rowCount }, () => "(?, ?, -1, 'pending', 0, 0)").join(", ");
    sql = `INSERT INTO task_instances (run_id, task_id, map_index, state, try_number, cached) VALUES ${tuples}`;
    insertPendingBySize.set(rowCount, sql);
  }
  return sql;
}
var insertPendingBySize = /* @__PURE__ */ new Map();
var INSERT_PENDING_INSTANCES_PARAMS_PER_ROW = 2;
var LIST_INSTANCES = `
SELECT run_id, task_id, map_index, state, try_number, cached, retry_at_ms, started_ms, ended_ms
FROM task_instances WHERE run_id = ? ORDER BY task_id, map_index`;
var TRANSITION_INSTANCE = `
UPDATE task_instances SET state = ?, try_number = ?, retry_at_ms = ?, ended_ms = ?
WHERE run_id = ? AND task_id = ? AND map_index = ? AND state = ? AND try_number = ?`;
var START_INSTANCE = `
UPDATE task_instances SET state = ?, try_number = ?, retry_at_ms = ?, ended_ms = ?, started_ms = COALESCE(started_ms, ?)
WHERE run_id = ? AND task_id = ? AND map_index = ? AND state = ? AND try_number = ?`;

// src/store/sql/runs.ts
var RUN_COLUMNS = `id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms, started_ms, ended_ms`;
var INSERT_RUN = `
INSERT INTO runs (id, pipeline_id, version, state, trigger, logical_date_ms, interval_start_ms, interval_end_ms,
  params_json, file, backfill_id, owner, created_ms)
VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled' DO NOTHING`;
var GET_RUN = `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`;
var GET_SCHEDULED_RUN = `
SELECT ${RUN_COLUMNS} FROM runs WHERE pipeline_id = ? AND logical_date_ms = ? AND trigger = 'scheduled'`;
function listRunsSql(byPipeline, stateCount) {
  const where = [];
  if (byPipeline) where.push("pipeline_id = ?");
  if (stateCount > 0) where.push(`state IN (${Array.from({ length: stateCount }, () => "?").join(", ")})`);
  return `SELECT ${RUN_COLUMNS} FROM runs${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
ORDER BY created_ms DESC, logical_date_ms DESC, id DESC LIMIT ?`;
}
var SET_RUN_OWNER_IF_UNOWNED = `UPDATE runs SET owner = ? WHERE id = ? AND owner IS NULL`;
var SET_RUN_OWNER_IF_OWNED_BY = `UPDATE runs SET owner = ? WHERE id = ? AND owner = ?`;
var START_RUN = `
UPDATE runs SET state = 'running', started_ms = COALESCE(started_ms, ?), ended_ms = NULL WHERE id = ? AND state = ?`;
var END_RUN = `UPDATE runs SET state = ?, ended_ms = ? WHERE id = ? AND state = ?`;
var TRANSITION_RUN = `UPDATE runs SET state = ?, ended_ms = NULL WHERE id = ? AND state = ?`;

// src/store/sql/tries.ts
var TRY_COLUMNS = `run_id, task_id, map_index, try_number, state, queued_ms, started_ms, ended_ms, worker, error_json,
  CASE WHEN output IS NULL THEN 0 ELSE 1 END AS has_output`;
var QUEUE_TRY = `
INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms) VALUES (?, ?, ?, ?, 'queued', ?)`;
var INSERT_RUNNING_TRY = `
INSERT INTO tries (run_id, task_id, map_index, try_number, state, queued_ms, started_ms, worker) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`;
var START_TRY = `
UPDATE tries SET state = 'running', started_ms = ?, worker = ?
WHERE run_id = ? AND task_id = ? AND map_index = ? AND try_number = ? AND state = 'queued'`;
var END_TRY = `
UPDATE tries SET state = ?, ended_ms = ?, output = ?, error_json = ?, started_ms = COALESCE(?, started_ms)
WHERE run_id = ? AND task_id = ? AND map_index = ? AND try_number = ? AND state IN ('queued', 'running')`;
var LIST_RUN_TRIES = `SELECT ${TRY_COLUMNS} FROM tries WHERE run_id = ? ORDER BY task_id, map_index, try_number`;
var LIST_TASK_TRIES = `
SELECT ${TRY_COLUMNS} FROM tries WHERE run_id = ? AND task_id = ? ORDER BY map_index, try_number`;
var LIST_INSTANCE_TRIES = `
SELECT ${TRY_COLUMNS} FROM tries WHERE run_id = ? AND task_id = ? AND map_index = ? ORDER BY try_number`;
function getOutputsSql(taskCount) {
  const list = Array.from({ length: taskCount }, () => "?").join(", ");
  return `SELECT task_id, output FROM tries
WHERE run_id = ? AND map_index = -1 AND state = 'success' AND output IS NOT NULL AND task_id IN (${list})
ORDER BY task_id, try_number`;
}

// src/store/apply-decisions.ts
var TRY_HOLDING_STATES = /* @__PURE__ */ new Set(["queued", "running", "deferred"]);
var TRY_OUTCOMES = /* @__PURE__ */ new Map([
  ["success", "success"],
  ["failed", "failed"],
  ["up_for_retry", "failed"],
  ["skipped", "skipped"],
  ["canceled", "canceled"]
]);
var GuardFailed = class {
  constructor(what) {
    this.what = what;
  }
};
async function applyDecisionBatch(dialect, decisions) {
  if (decisions.length === 0) return { applied: [], conflicts: [] };
  try {
    await dialect.transaction(async (tx) => {
      for (const decision of decisions) await applyDecision(tx, decision);
    });
    return { applied: decisions.map((_, index) => index), conflicts: [] };
  } catch (error) {
    if (conflictOf(dialect, error) === null) throw error;
  }
  return applyIsolated(dialect, decisions);
}
async function applyIsolated(dialect, decisions) {
  const result = { applied: [], conflicts: [] };
  await dialect.transaction(async (tx) => {
    for (let index = 0; index < decisions.length; index++) {
      const decision = decisions[index];
      if (decision.run === void 0 && decision.transitions.length === 0) {
        result.applied.push(index);
        continue;
      }
      try {
        await tx.savepoint(() => applyDecision(tx, decision));
        result.applied.push(index);
      } catch (error) {
        const what = conflictOf(dialect, error);
        if (what === null) throw error;
        result.conflicts.push({ index, runId: decision.runId, what });
      }
    }
  });
  return result;
}
function conflictOf(dialect, error) {
  if (error instanceof GuardFailed) return error.what;
  const kind = dialect.classifyError(error);
  if (kind === "unique_violation" || kind === "foreign_key_violation") {
    return `${kind.replace(/_/g, " ")}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}
async function applyDecision(tx, decision) {
  if (decision.run !== void 0) await applyRunTransition(tx, decision.runId, decision.run, decision.nowMs);
  const { transitions } = decision;
  for (let i = 0; i < transitions.length; i++) {
    const t = transitions[i];
    const next = transitions[i + 1];
    if (t.to === "queued" && next !== void 0 && next.to === "running" && next.from === "queued" && next.taskId === t.taskId && next.mapIndex === t.mapIndex && next.tryNumber === t.tryNumber) {
      await startNewTry(tx, decision.runId, t, next.worker ?? null, decision.nowMs);
      i++;
      continue;
    }
    await applyInstanceTransition(tx, decision.runId, t, decision.nowMs);
  }
}
async function startNewTry(tx, runId, t, worker, nowMs) {
  const where = [runId, t.taskId, t.mapIndex, t.from, t.tryNumber - 1];
  if (await tx.run(START_INSTANCE, ["running", t.tryNumber, null, null, nowMs, ...where]) === 0) {
    throw new GuardFailed(`instance ${instanceKey(t.taskId, t.mapIndex)}: not ${t.from} at try ${t.tryNumber - 1} (wanted ${t.from} \u2192 running)`);
  }
  await tx.run(INSERT_RUNNING_TRY, [runId, t.taskId, t.mapIndex, t.tryNumber, nowMs, nowMs, worker]);
}
async function applyRunTransition(tx, runId, run2, nowMs) {
  let changed;
  if (run2.to === "running") changed = await tx.run(START_RUN, [nowMs, runId, run2.from]);
  else if (isTerminalRunState(run2.to)) changed = await tx.run(END_RUN, [run2.to, nowMs, runId, run2.from]);
  else changed = await tx.run(TRANSITION_RUN, [run2.to, runId, run2.from]);
  if (changed === 0) throw new GuardFailed(`run ${runId}: not ${run2.from} (wanted ${run2.from} \u2192 ${run2.to})`);
}
async function applyInstanceTransition(tx, runId, t, nowMs) {
  const key = instanceKey(t.taskId, t.mapIndex);
  const expectedTry = t.to === "queued" ? t.tryNumber - 1 : t.tryNumber;
  const retryAtMs = t.to === "up_for_retry" ? t.retryAtMs ?? null : null;
  const endedMs = isTerminalTaskState(t.to) ? nowMs : null;
  const where = [runId, t.taskId, t.mapIndex, t.from, expectedTry];
  const changed = t.to === "running" ? await tx.run(START_INSTANCE, [t.to, t.tryNumber, retryAtMs, endedMs, nowMs, ...where]) : await tx.run(TRANSITION_INSTANCE, [t.to, t.tryNumber, retryAtMs, endedMs, ...where]);
  if (changed === 0) {
    throw new GuardFailed(`instance ${key}: not ${t.from} at try ${expectedTry} (wanted ${t.from} \u2192 ${t.to})`);
  }
  const tryKey = [runId, t.taskId, t.mapIndex, t.tryNumber];
  if (t.to === "queued") {
    await tx.run(QUEUE_TRY, [...tryKey, nowMs]);
    return;
  }
  if (t.to === "running" && t.from === "queued") {
    if (await tx.run(START_TRY, [nowMs, t.worker ?? null, ...tryKey]) === 0) {
      throw new GuardFailed(`try ${key}#${t.tryNumber}: not queued (wanted queued \u2192 running)`);
    }
    return;
  }
  const outcome = TRY_OUTCOMES.get(t.to);
  if (outcome !== void 0 && TRY_HOLDING_STATES.has(t.from)) {
    const output = t.to === "success" ? t.output ?? null : null;
    const error = t.error === void 0 ? null : JSON.stringify(t.error);
    if (await tx.run(END_TRY, [outcome, nowMs, output, error, t.startedMs ?? null, ...tryKey]) === 0) {
      throw new GuardFailed(`try ${key}#${t.tryNumber}: already ended (wanted \u2192 ${outcome})`);
    }
  }
}

// src/store/migrations/0001_init.ts
var migration0001Init = {
  version: 1,
  name: "init",
  sql: `
CREATE TABLE pipelines (
  id          TEXT    NOT NULL PRIMARY KEY,
  version     TEXT    NOT NULL,
  file        TEXT    NOT NULL,
  paused      INTEGER NOT NULL DEFAULT 0,
  updated_ms  BIGINT  NOT NULL
);

CREATE TABLE pipeline_versions (
  pipeline_id TEXT    NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  version     TEXT    NOT NULL,
  graph_json  TEXT    NOT NULL,
  file        TEXT    NOT NULL,
  created_ms  BIGINT  NOT NULL,
  PRIMARY KEY (pipeline_id, version)
);

-- A run keeps the version it started with readable: the foreign key forbids a run of an unknown version.
CREATE TABLE runs (
  id                TEXT    NOT NULL PRIMARY KEY,
  pipeline_id       TEXT    NOT NULL,
  version           TEXT    NOT NULL,
  state             TEXT    NOT NULL,
  trigger           TEXT    NOT NULL,
  logical_date_ms   BIGINT  NOT NULL,
  interval_start_ms BIGINT  NOT NULL,
  interval_end_ms   BIGINT  NOT NULL,
  params_json       TEXT    NOT NULL,
  file              TEXT    NOT NULL,
  backfill_id       TEXT,
  owner             TEXT,
  created_ms        BIGINT  NOT NULL,
  started_ms        BIGINT,
  ended_ms          BIGINT,
  FOREIGN KEY (pipeline_id, version) REFERENCES pipeline_versions (pipeline_id, version)
);
-- One scheduled run per (pipeline, logical date): createRun's ON CONFLICT target.
CREATE UNIQUE INDEX runs_scheduled_logical_date ON runs (pipeline_id, logical_date_ms) WHERE trigger = 'scheduled';
-- listRuns of one pipeline, newest first.
CREATE INDEX runs_pipeline_created ON runs (pipeline_id, created_ms);
-- listRuns of all pipelines, newest first.
CREATE INDEX runs_created ON runs (created_ms);
-- Recovery and the UI find unfinished runs by state.
CREATE INDEX runs_state ON runs (state);

-- map_index -1 is an unmapped instance (Airflow's convention); try_number counts tries created so far.
CREATE TABLE task_instances (
  run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_id     TEXT    NOT NULL,
  map_index   INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  try_number  INTEGER NOT NULL DEFAULT 0,
  cached      INTEGER NOT NULL DEFAULT 0,
  retry_at_ms BIGINT,
  started_ms  BIGINT,
  ended_ms    BIGINT,
  PRIMARY KEY (run_id, task_id, map_index)
);

CREATE TABLE tries (
  run_id      TEXT    NOT NULL,
  task_id     TEXT    NOT NULL,
  map_index   INTEGER NOT NULL,
  try_number  INTEGER NOT NULL,
  state       TEXT    NOT NULL,
  queued_ms   BIGINT  NOT NULL,
  started_ms  BIGINT,
  ended_ms    BIGINT,
  worker      TEXT,
  error_json  TEXT,
  output      TEXT,
  PRIMARY KEY (run_id, task_id, map_index, try_number),
  FOREIGN KEY (run_id, task_id, map_index) REFERENCES task_instances (run_id, task_id, map_index) ON DELETE CASCADE
);
`
};

// src/store/migrations/index.ts
var MIGRATIONS = [migration0001Init];

// src/store/sql/migrations.ts
var CREATE_SCHEMA_MIGRATIONS = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_ms BIGINT  NOT NULL
)`;
var LIST_APPLIED_MIGRATIONS = `SELECT version FROM schema_migrations ORDER BY version`;
var RECORD_MIGRATION = `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)`;

// src/store/migrate.ts
async function migrateSchema(dialect, nowMs) {
  await dialect.transaction(async (tx) => {
    await dialect.lockForMigration(tx);
    await tx.exec(CREATE_SCHEMA_MIGRATIONS);
    const rows = await tx.all(LIST_APPLIED_MIGRATIONS);
    const applied = new Set(rows.map((row) => Number(row.version)));
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new WeirError(
        "store_too_new",
        `The store at ${dialect.location} has schema version ${newest}, newer than this Weir (${known}): upgrade Weir.`,
        { input: false }
      );
    }
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.run(RECORD_MIGRATION, [migration.version, migration.name, nowMs]);
    }
  });
}

// src/store/records.ts
function toNumber(value) {
  return typeof value === "number" ? value : Number(value);
}
function toNumberOrNull(value) {
  return value === null || value === void 0 ? null : toNumber(value);
}
function parseGraph(json) {
  return JSON.parse(json);
}
function toPipelineRecord(row) {
  return {
    id: row.id,
    version: row.version,
    file: row.file,
    paused: toNumber(row.paused) !== 0,
    graph: parseGraph(row.graph_json),
    updatedMs: toNumber(row.updated_ms)
  };
}
function toRunRecord(row) {
  return {
    id: row.id,
    pipelineId: row.pipeline_id,
    version: row.version,
    state: row.state,
    trigger: row.trigger,
    logicalDateMs: toNumber(row.logical_date_ms),
    intervalStartMs: toNumber(row.interval_start_ms),
    intervalEndMs: toNumber(row.interval_end_ms),
    params: JSON.parse(row.params_json),
    file: row.file,
    backfillId: row.backfill_id,
    createdMs: toNumber(row.created_ms),
    startedMs: toNumberOrNull(row.started_ms),
    endedMs: toNumberOrNull(row.ended_ms),
    owner: row.owner
  };
}
function toInstanceRecord(row) {
  return {
    runId: row.run_id,
    taskId: row.task_id,
    mapIndex: toNumber(row.map_index),
    state: row.state,
    tryNumber: toNumber(row.try_number),
    cached: toNumber(row.cached) !== 0,
    retryAtMs: toNumberOrNull(row.retry_at_ms),
    startedMs: toNumberOrNull(row.started_ms),
    endedMs: toNumberOrNull(row.ended_ms)
  };
}
function toTryRecord(row) {
  return {
    runId: row.run_id,
    taskId: row.task_id,
    mapIndex: toNumber(row.map_index),
    tryNumber: toNumber(row.try_number),
    state: row.state,
    queuedMs: toNumber(row.queued_ms),
    startedMs: toNumberOrNull(row.started_ms),
    endedMs: toNumberOrNull(row.ended_ms),
    worker: row.worker,
    error: row.error_json === null ? null : JSON.parse(row.error_json),
    hasOutput: toNumber(row.has_output) !== 0
  };
}

// src/store/sql/pipelines.ts
var UPSERT_PIPELINE = `
INSERT INTO pipelines (id, version, file, paused, updated_ms) VALUES (?, ?, ?, 0, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, file = excluded.file, updated_ms = excluded.updated_ms
WHERE pipelines.version <> excluded.version OR pipelines.file <> excluded.file`;
var INSERT_PIPELINE_VERSION = `
INSERT INTO pipeline_versions (pipeline_id, version, graph_json, file, created_ms) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (pipeline_id, version) DO NOTHING`;
var SELECT_PIPELINE = `
SELECT p.id, p.version, p.file, p.paused, p.updated_ms, v.graph_json
FROM pipelines p JOIN pipeline_versions v ON v.pipeline_id = p.id AND v.version = p.version`;
var GET_PIPELINE = `${SELECT_PIPELINE} WHERE p.id = ?`;
var LIST_PIPELINES = `${SELECT_PIPELINE} ORDER BY p.id`;
var GET_PIPELINE_VERSION = `SELECT graph_json FROM pipeline_versions WHERE pipeline_id = ? AND version = ?`;

// src/store/sql-store.ts
var DEFAULT_RUN_LIMIT = 100;
var INSERT_CHUNK_ROWS = 500;
var SqlStore = class {
  constructor(db) {
    this.db = db;
    this.dialect = db.name;
  }
  dialect;
  /** Where the store keeps its data, for messages: `SQLite database /path/weir.db`. */
  describe() {
    return `${this.db.name === "sqlite" ? "SQLite" : "Postgres"} database ${this.db.location}`;
  }
  async migrate() {
    await migrateSchema(this.db, Date.now());
  }
  async close() {
    await this.db.close();
  }
  async savePipelineVersion(graph2, nowMs) {
    const graphJson = JSON.stringify(graph2);
    await this.db.transaction(async (tx) => {
      await tx.run(UPSERT_PIPELINE, [graph2.id, graph2.version, graph2.file, nowMs]);
      await tx.run(INSERT_PIPELINE_VERSION, [graph2.id, graph2.version, graphJson, graph2.file, nowMs]);
    });
  }
  async getPipeline(pipelineId) {
    const row = await this.db.session.get(GET_PIPELINE, [pipelineId]);
    return row === void 0 ? null : toPipelineRecord(row);
  }
  async getPipelineVersion(pipelineId, version) {
    const row = await this.db.session.get(GET_PIPELINE_VERSION, [pipelineId, version]);
    return row === void 0 ? null : parseGraph(row.graph_json);
  }
  async listPipelines() {
    const rows = await this.db.session.all(LIST_PIPELINES);
    return rows.map(toPipelineRecord);
  }
  async createRun(run2, nowMs) {
    try {
      return await this.db.transaction(async (tx) => {
        const inserted = await tx.run(INSERT_RUN, [
          run2.id,
          run2.pipelineId,
          run2.version,
          run2.trigger,
          run2.logicalDateMs,
          run2.intervalStartMs,
          run2.intervalEndMs,
          JSON.stringify(run2.params),
          run2.file,
          run2.backfillId ?? null,
          run2.owner ?? null,
          nowMs
        ]);
        if (inserted === 0) {
          const existing = await tx.get(GET_SCHEDULED_RUN, [run2.pipelineId, run2.logicalDateMs]);
          if (existing === void 0) throw new Error(`run ${run2.id} was neither inserted nor found`);
          return { created: false, run: toRunRecord(existing) };
        }
        await insertPendingInstances(tx, run2.id, run2.taskIds);
        const created = await tx.get(GET_RUN, [run2.id]);
        if (created === void 0) throw new Error(`run ${run2.id} vanished inside its own transaction`);
        return { created: true, run: toRunRecord(created) };
      });
    } catch (error) {
      throw this.explainCreateRunError(run2, error);
    }
  }
  async getRun(runId) {
    const row = await this.db.session.get(GET_RUN, [runId]);
    return row === void 0 ? null : toRunRecord(row);
  }
  async listRuns(filter) {
    const states = filter.states ?? [];
    const params = [];
    if (filter.pipelineId !== void 0) params.push(filter.pipelineId);
    params.push(...states, filter.limit ?? DEFAULT_RUN_LIMIT);
    const rows = await this.db.session.all(listRunsSql(filter.pipelineId !== void 0, states.length), params);
    return rows.map(toRunRecord);
  }
  async setRunOwner(runId, owner, expected) {
    const changed = expected === null ? await this.db.session.run(SET_RUN_OWNER_IF_UNOWNED, [owner, runId]) : await this.db.session.run(SET_RUN_OWNER_IF_OWNED_BY, [owner, runId, expected]);
    return changed > 0;
  }
  async listTaskInstances(runId) {
    const rows = await this.db.session.all(LIST_INSTANCES, [runId]);
    return rows.map(toInstanceRecord);
  }
  async listTries(runId, taskId, mapIndex) {
    let rows;
    if (taskId === void 0) rows = await this.db.session.all(LIST_RUN_TRIES, [runId]);
    else if (mapIndex === void 0) rows = await this.db.session.all(LIST_TASK_TRIES, [runId, taskId]);
    else rows = await this.db.session.all(LIST_INSTANCE_TRIES, [runId, taskId, mapIndex]);
    return rows.map(toTryRecord);
  }
  applyDecisions(decisions) {
    return applyDecisionBatch(this.db, decisions);
  }
  async getOutputs(runId, taskIds) {
    const outputs = /* @__PURE__ */ new Map();
    const unique = [...new Set(taskIds)];
    for (let start = 0; start < unique.length; start += INSERT_CHUNK_ROWS) {
      const chunk = unique.slice(start, start + INSERT_CHUNK_ROWS);
      const rows = await this.db.session.all(getOutputsSql(chunk.length), [runId, ...chunk]);
      for (const row of rows) outputs.set(row.task_id, row.output);
    }
    return outputs;
  }
  explainCreateRunError(run2, error) {
    const kind = this.db.classifyError(error);
    if (kind === "foreign_key_violation") {
      return new WeirError(
        "pipeline_version_unknown",
        `Cannot create run ${run2.id}: pipeline ${run2.pipelineId} version ${run2.version} is not registered (save the pipeline version first).`,
        { where: { pipeline: run2.pipelineId, run: run2.id }, cause: error }
      );
    }
    if (kind === "unique_violation") {
      return new WeirError(
        "run_conflict",
        `Cannot create run ${run2.id} of pipeline ${run2.pipelineId}: a run with this id exists, or a task id is listed twice.`,
        { where: { pipeline: run2.pipelineId, run: run2.id }, cause: error }
      );
    }
    return error;
  }
};
async function insertPendingInstances(tx, runId, taskIds) {
  for (let start = 0; start < taskIds.length; start += INSERT_CHUNK_ROWS) {
    const end = Math.min(start + INSERT_CHUNK_ROWS, taskIds.length);
    const params = new Array((end - start) * INSERT_PENDING_INSTANCES_PARAMS_PER_ROW);
    let p = 0;
    for (let i = start; i < end; i++) {
      params[p++] = runId;
      params[p++] = taskIds[i];
    }
    await tx.run(insertPendingInstancesSql(end - start), params);
  }
}

// src/store/sqlite/sqlite-dialect.ts
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
var BUSY_TIMEOUT_MS = 5e3;
var SQLITE_MAX_PARAMS = 32766;
var SqliteDialect = class _SqliteDialect {
  constructor(conn, location) {
    this.conn = conn;
    this.location = location;
    this.session = {
      all: (sql, params) => this.serialize(async () => this.allNow(sql, params)),
      get: (sql, params) => this.serialize(async () => this.getNow(sql, params)),
      run: (sql, params) => this.serialize(async () => this.runNow(sql, params))
    };
  }
  name = "sqlite";
  maxParams = SQLITE_MAX_PARAMS;
  session;
  statements = /* @__PURE__ */ new Map();
  queue = Promise.resolve();
  closed = false;
  closing;
  /** Opens (creating if needed) the database file and applies the connection settings. */
  static open(options) {
    const path = options.path;
    let conn;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      conn = new Database(path, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    } catch (error) {
      throw new WeirError("store_unopenable", `Cannot open the SQLite store at ${path}: ${messageOf(error)}`, {
        input: false,
        cause: error
      });
    }
    try {
      const mode = conn.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal" && path !== ":memory:") throw new Error(`could not switch to WAL (journal mode is ${String(mode)})`);
      conn.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
      conn.pragma("foreign_keys = ON");
    } catch (error) {
      conn.close();
      const corrupt = classifySqliteError(error) === "corrupt";
      throw new WeirError(
        corrupt ? "store_corrupt" : "store_unopenable",
        corrupt ? `The SQLite store at ${path} is not a Weir database or is corrupt (${messageOf(error)}): restore it from a backup or point WEIR_DATABASE_URL elsewhere.` : `Cannot open the SQLite store at ${path}: ${messageOf(error)}`,
        { input: false, cause: error }
      );
    }
    return new _SqliteDialect(conn, path);
  }
  transaction(fn) {
    return this.serialize(async () => {
      this.prepared("BEGIN IMMEDIATE").run();
      const tx = this.openTransaction();
      try {
        const result = await fn(tx.handle);
        this.prepared("COMMIT").run();
        return result;
      } catch (error) {
        if (this.conn.inTransaction) this.prepared("ROLLBACK").run();
        throw error;
      } finally {
        tx.end();
      }
    });
  }
  async lockForMigration() {
  }
  classifyError(error) {
    return classifySqliteError(error);
  }
  /** Closes after everything queued before it; closing again returns the same promise. */
  close() {
    this.closing ??= this.serialize(async () => {
      this.closed = true;
      this.statements.clear();
      this.conn.close();
    });
    return this.closing;
  }
  openTransaction() {
    let open = true;
    let depth = 0;
    const check = () => {
      if (!open) throw new Error("SQL transaction used after it ended");
    };
    const handle = {
      all: async (sql, params) => (check(), this.allNow(sql, params)),
      get: async (sql, params) => (check(), this.getNow(sql, params)),
      run: async (sql, params) => (check(), this.runNow(sql, params)),
      exec: async (sql) => {
        check();
        this.execNow(sql);
      },
      savepoint: async (fn) => {
        check();
        const name = `sp${depth++}`;
        this.prepared(`SAVEPOINT ${name}`).run();
        try {
          const result = await fn();
          this.prepared(`RELEASE ${name}`).run();
          return result;
        } catch (error) {
          this.prepared(`ROLLBACK TO ${name}`).run();
          this.prepared(`RELEASE ${name}`).run();
          throw error;
        } finally {
          depth--;
        }
      }
    };
    return { handle, end: () => void (open = false) };
  }
  /** Runs `fn` after everything queued before it, alone on the connection. */
  serialize(fn) {
    const result = this.queue.then(() => {
      if (this.closed) throw new WeirError("store_closed", `The SQLite store at ${this.location} is closed.`, { input: false });
      return fn();
    });
    this.queue = result.then(
      () => void 0,
      () => void 0
    );
    return result.catch((error) => {
      throw this.explain(error);
    });
  }
  prepared(sql) {
    let statement = this.statements.get(sql);
    if (statement === void 0) {
      statement = this.conn.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
  allNow(sql, params = []) {
    return this.prepared(sql).all(...params);
  }
  getNow(sql, params = []) {
    return this.prepared(sql).get(...params);
  }
  runNow(sql, params = []) {
    return this.prepared(sql).run(...params).changes;
  }
  execNow(sql) {
    this.conn.exec(sql);
  }
  /** Database-level failures become one clear WeirError; constraint errors pass through for the store to judge. */
  explain(error) {
    switch (classifySqliteError(error)) {
      case "busy":
        return new WeirError(
          "store_busy",
          `The SQLite store at ${this.location} stayed locked by another process for too long (${messageOf(error)}).`,
          { input: false, cause: error }
        );
      case "corrupt":
        return new WeirError("store_corrupt", `The SQLite store at ${this.location} is corrupt (${messageOf(error)}).`, {
          input: false,
          cause: error
        });
      default:
        return error;
    }
  }
};
function classifySqliteError(error) {
  if (!(error instanceof Database.SqliteError)) return "other";
  const code = error.code;
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") return "unique_violation";
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return "foreign_key_violation";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy";
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return "corrupt";
  return "other";
}
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

// src/store/sqlite/open-sqlite-store.ts
function openSqliteStore(options) {
  return new SqlStore(SqliteDialect.open(options));
}

// src/common/assert-never.ts
function assertNever(value, what = "value") {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

// src/engine/trigger-rules.ts
function zeroCounts(total) {
  return { success: 0, skipped: 0, failed: 0, upstreamFailed: 0, removed: 0, total };
}
function evaluateTriggerRule(rule, counts) {
  const { success, skipped, failed, upstreamFailed } = counts;
  const upstream = counts.total - counts.removed;
  if (upstream <= 0 || rule === "always") return "run";
  const done = success + skipped + failed + upstreamFailed;
  const allDone = done >= upstream;
  const anyFailure = failed + upstreamFailed > 0;
  switch (rule) {
    case "all_success":
      if (anyFailure) return "upstream_failed";
      if (skipped > 0) return "skip";
      return success >= upstream ? "run" : "wait";
    case "all_failed":
      if (success > 0 || skipped > 0) return "skip";
      return failed + upstreamFailed >= upstream ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "all_skipped":
      if (success > 0 || anyFailure) return "skip";
      return skipped >= upstream ? "run" : "wait";
    case "one_success":
      if (success > 0) return "run";
      if (allDone) return skipped === done ? "skip" : "upstream_failed";
      return "wait";
    case "one_failed":
      if (anyFailure) return "run";
      return allDone ? "skip" : "wait";
    case "one_done":
      if (success + failed > 0) return "run";
      return allDone ? "skip" : "wait";
    case "none_failed":
      if (anyFailure) return "upstream_failed";
      return allDone ? "run" : "wait";
    case "none_failed_min_one_success":
      if (anyFailure) return "upstream_failed";
      if (skipped >= upstream) return "skip";
      return allDone ? "run" : "wait";
    case "none_skipped":
      if (skipped > 0) return "skip";
      return allDone ? "run" : "wait";
    default:
      return assertNever(rule, "trigger rule");
  }
}

// src/engine/retry-policy.ts
function canRetry(policy, tryNumber, failure) {
  return failure.retryable && tryNumber <= policy.retries;
}
function retryDelayMs(policy, failedTries, jitterSample) {
  if (policy.backoff === "fixed") return policy.retryDelayMs;
  const exponent = Math.max(0, failedTries - 1);
  const base = policy.retryDelayMs * 2 ** exponent;
  const sample = Number.isFinite(jitterSample) ? Math.min(Math.max(jitterSample, 0), MAX_SAMPLE) : 0;
  const delay = Math.floor(base + sample * base);
  return Math.min(delay, policy.maxRetryDelayMs);
}
var MAX_SAMPLE = 1 - 2 ** -32;
function jitterSampleFor(runId, taskId, mapIndex, tryNumber) {
  return fnv1a32(`${runId}\0${taskId}\0${mapIndex}\0${tryNumber}`) / 2 ** 32;
}
var FNV_OFFSET_BASIS = 2166136261;
var FNV_PRIME = 16777619;
function fnv1a32(text) {
  let hash = FNV_OFFSET_BASIS;
  const feed = (byte) => {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  };
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 128) {
      feed(code);
    } else if (code < 2048) {
      feed(192 | code >> 6);
      feed(128 | code & 63);
    } else if (code < 65536) {
      feed(224 | code >> 12);
      feed(128 | code >> 6 & 63);
      feed(128 | code & 63);
    } else {
      feed(240 | code >> 18);
      feed(128 | code >> 12 & 63);
      feed(128 | code >> 6 & 63);
      feed(128 | code & 63);
    }
  }
  return hash >>> 0;
}

// src/engine/compile-graph.ts
function compileEngineGraph(graph2) {
  const tasks = /* @__PURE__ */ new Map();
  for (const node of graph2.tasks) {
    tasks.set(node.id, {
      id: node.id,
      upstream: [...new Set(node.upstream)],
      trigger: node.trigger,
      retry: { ...node.retry }
    });
  }
  const downstream = /* @__PURE__ */ new Map();
  for (const id of tasks.keys()) downstream.set(id, []);
  const order = graph2.order.length === tasks.size ? graph2.order : [...tasks.keys()];
  for (const id of order) {
    const task = tasks.get(id);
    if (!task) continue;
    for (const up of task.upstream) downstream.get(up)?.push(id);
  }
  return { tasks, downstream, order: [...order] };
}

// src/engine/instance-edges.ts
function upstreamInstanceKeys(graph2, taskId, _mapIndex) {
  const task = graph2.tasks.get(taskId);
  if (!task) return [];
  return task.upstream.map((up) => instanceKey(up, -1));
}
function downstreamInstanceKeys(graph2, taskId, _mapIndex) {
  const downstream = graph2.downstream.get(taskId);
  if (!downstream) return [];
  return downstream.map((down) => instanceKey(down, -1));
}

// src/engine/run-ledger.ts
function countFieldOf(state2) {
  switch (state2) {
    case "success":
      return "success";
    case "skipped":
      return "skipped";
    case "failed":
      return "failed";
    case "upstream_failed":
      return "upstreamFailed";
    case "canceled":
    case "removed":
      return "removed";
    default:
      return null;
  }
}
function isFailureState(state2) {
  return state2 === "failed" || state2 === "upstream_failed";
}
function recordTransition(ledger, transition) {
  const key = instanceKey(transition.taskId, transition.mapIndex);
  const current = ledger.instance(key);
  if (!current || current.state !== transition.from) return false;
  const instance = ledger.writableInstance(key);
  if (!instance) return false;
  const { from, to } = transition;
  instance.state = to;
  instance.tryNumber = transition.tryNumber;
  instance.retryAtMs = to === "up_for_retry" ? transition.retryAtMs ?? null : null;
  const wasTerminal = isTerminalTaskState(from);
  const isTerminal = isTerminalTaskState(to);
  if (wasTerminal !== isTerminal) ledger.unfinished += isTerminal ? -1 : 1;
  ledger.failed += (isFailureState(to) ? 1 : 0) - (isFailureState(from) ? 1 : 0);
  const oldField = countFieldOf(from);
  const newField = countFieldOf(to);
  if (oldField !== newField) {
    for (const downKey of downstreamInstanceKeys(ledger.graph, instance.taskId, instance.mapIndex)) {
      const down = ledger.writableInstance(downKey);
      if (!down) continue;
      if (oldField) down.counts[oldField] -= 1;
      if (newField) down.counts[newField] += 1;
    }
  }
  return true;
}
var ledgers = /* @__PURE__ */ new WeakMap();
function snapshotLedger(snapshot) {
  let ledger = ledgers.get(snapshot);
  if (ledger === void 0) {
    ledger = makeSnapshotLedger(snapshot);
    ledgers.set(snapshot, ledger);
  }
  return ledger;
}
function makeSnapshotLedger(snapshot) {
  return {
    graph: snapshot.graph,
    get state() {
      return snapshot.state;
    },
    set state(value) {
      snapshot.state = value;
    },
    get unfinished() {
      return snapshot.unfinished;
    },
    set unfinished(value) {
      snapshot.unfinished = value;
    },
    get failed() {
      return snapshot.failed;
    },
    set failed(value) {
      snapshot.failed = value;
    },
    instance: (key) => snapshot.instances.get(key),
    writableInstance: (key) => snapshot.instances.get(key)
  };
}
var DraftLedger = class {
  graph;
  state;
  unfinished;
  failed;
  base;
  changed = /* @__PURE__ */ new Map();
  constructor(base) {
    this.base = base;
    this.graph = base.graph;
    this.state = base.state;
    this.unfinished = base.unfinished;
    this.failed = base.failed;
  }
  instance(key) {
    return this.changed.get(key) ?? this.base.instances.get(key);
  }
  writableInstance(key) {
    const copied = this.changed.get(key);
    if (copied) return copied;
    const original = this.base.instances.get(key);
    if (!original) return void 0;
    const copy = { ...original, counts: { ...original.counts } };
    this.changed.set(key, copy);
    return copy;
  }
};

// src/engine/snapshot.ts
function createRunSnapshot(runId, runState, graph2, instances) {
  const byKey = /* @__PURE__ */ new Map();
  for (const record of instances) {
    byKey.set(instanceKey(record.taskId, record.mapIndex), {
      taskId: record.taskId,
      mapIndex: record.mapIndex,
      state: record.state,
      tryNumber: record.tryNumber,
      retryAtMs: record.retryAtMs,
      counts: zeroCounts(0)
    });
  }
  let unfinished = 0;
  let failed = 0;
  for (const instance of byKey.values()) {
    if (!isTerminalTaskState(instance.state)) unfinished += 1;
    if (isFailureState(instance.state)) failed += 1;
    const upstreamKeys = upstreamInstanceKeys(graph2, instance.taskId, instance.mapIndex);
    instance.counts.total = upstreamKeys.length;
    for (const key of upstreamKeys) {
      const upstream = byKey.get(key);
      const field = upstream ? countFieldOf(upstream.state) : null;
      if (field) instance.counts[field] += 1;
    }
  }
  return { runId, state: runState, graph: graph2, instances: byKey, unfinished, failed };
}

// src/engine/advance.ts
var ACTIVE_TRY_STATES = /* @__PURE__ */ new Set(["queued", "running", "deferred"]);
var DecisionBuilder = class {
  constructor(snapshot, nowMs) {
    this.snapshot = snapshot;
    this.draft = new DraftLedger(snapshot);
    this.decision = { runId: snapshot.runId, nowMs, transitions: [], actions: [], timers: [] };
  }
  decision;
  draft;
  /** Instances that became terminal and whose downstream have not been looked at yet. */
  settled = [];
  /** Keys of every instance of the run, for the run-wide events (start, cancel). */
  snapshotKeys() {
    return [...this.snapshot.instances.keys()];
  }
  instance(taskId, mapIndex) {
    return this.draft.instance(instanceKey(taskId, mapIndex));
  }
  move(instance, to, details = {}) {
    const transition = {
      taskId: instance.taskId,
      mapIndex: instance.mapIndex,
      from: instance.state,
      to,
      tryNumber: details.tryNumber ?? instance.tryNumber
    };
    if (details.retryAtMs !== void 0) transition.retryAtMs = details.retryAtMs;
    if (details.output !== void 0) transition.output = details.output;
    if (details.error !== void 0) transition.error = details.error;
    if (details.reason !== void 0) transition.reason = details.reason;
    if (details.worker !== void 0) transition.worker = details.worker;
    if (details.startedMs !== void 0) transition.startedMs = details.startedMs;
    recordTransition(this.draft, transition);
    this.decision.transitions.push(transition);
    if (isTerminalTaskState(to)) {
      const moved = this.draft.instance(instanceKey(instance.taskId, instance.mapIndex));
      if (moved) this.settled.push(moved);
    }
  }
  /** Moves a pending instance on if its trigger rule has decided; a no-op while the rule says wait. */
  settlePending(instance) {
    if (instance.state !== "pending") return;
    const task = this.draft.graph.tasks.get(instance.taskId);
    if (!task) return;
    const outcome = evaluateTriggerRule(task.trigger, instance.counts);
    switch (outcome) {
      case "wait":
        return;
      case "run":
        this.move(instance, "scheduled");
        return;
      case "skip":
        this.move(instance, "skipped", { reason: `trigger rule ${task.trigger} can no longer be met: ${skipCause(task.trigger, instance.counts)} (${describeCounts(instance.counts)})` });
        return;
      case "upstream_failed":
        this.move(instance, "upstream_failed", { reason: `trigger rule ${task.trigger} can no longer be met: upstream failed (${describeCounts(instance.counts)})` });
        return;
      default:
        assertNever(outcome, "trigger outcome");
    }
  }
  /**
   * Re-evaluates the pending downstream of every instance that became terminal, and of those in turn.
   * A work list, not recursion: a 100k-long chain failing at its root must not overflow the stack.
   */
  propagate() {
    for (let next = this.settled.pop(); next; next = this.settled.pop()) {
      for (const key of downstreamInstanceKeys(this.draft.graph, next.taskId, next.mapIndex)) {
        const down = this.draft.instance(key);
        if (down) this.settlePending(down);
      }
    }
  }
  finish() {
    this.propagate();
    const draft = this.draft;
    if (draft.state === "running" && draft.unfinished === 0) draft.state = draft.failed > 0 ? "failed" : "success";
    if (draft.state !== this.snapshot.state) this.decision.run = { from: this.snapshot.state, to: draft.state };
    return this.decision;
  }
};
function advanceAll(snapshot, events, nowMs) {
  const builder = new DecisionBuilder(snapshot, nowMs);
  for (const event of events) {
    applyEvent(builder, event, nowMs);
    builder.propagate();
  }
  return builder.finish();
}
function applyEvent(builder, event, nowMs) {
  const draft = builder.draft;
  if (event.kind === "run_started") {
    if (draft.state === "queued") startRun(builder);
    return;
  }
  if (event.kind === "run_cancel_requested") {
    if (!isTerminalRunState(draft.state)) cancelRun(builder, event.reason ?? "run canceled");
    return;
  }
  if (draft.state !== "running") return;
  const instance = builder.instance(event.taskId, event.mapIndex);
  if (!instance) return;
  const task = draft.graph.tasks.get(instance.taskId);
  if (!task) return;
  switch (event.kind) {
    case "try_queued":
      if (instance.state === "scheduled" && event.tryNumber === instance.tryNumber + 1) {
        builder.move(instance, "queued", { tryNumber: event.tryNumber });
      }
      break;
    case "try_started":
      if (instance.state === "queued" && event.tryNumber === instance.tryNumber) {
        builder.move(instance, "running", event.worker === void 0 ? {} : { worker: event.worker });
      }
      break;
    case "try_succeeded":
      if (isActiveTry(instance, event.tryNumber)) {
        builder.move(instance, "success", { ...event.output === void 0 ? {} : { output: event.output }, ...startedAt(event) });
      }
      break;
    case "try_failed":
      if (isActiveTry(instance, event.tryNumber)) {
        if (canRetry(task.retry, event.tryNumber, event.error)) {
          const jitter = jitterSampleFor(builder.decision.runId, instance.taskId, instance.mapIndex, event.tryNumber);
          const retryAtMs = nowMs + retryDelayMs(task.retry, event.tryNumber, jitter);
          builder.move(instance, "up_for_retry", { error: event.error, retryAtMs, ...startedAt(event) });
          builder.decision.timers.push(retryTimer(instance, retryAtMs));
        } else {
          builder.move(instance, "failed", { error: event.error, ...startedAt(event) });
        }
      }
      break;
    case "try_skipped":
      if (isActiveTry(instance, event.tryNumber)) {
        builder.move(instance, "skipped", { reason: event.reason ?? "the task asked to be skipped", ...startedAt(event) });
      }
      break;
    case "retry_due":
      if (instance.state === "up_for_retry") {
        if (instance.retryAtMs !== null && nowMs < instance.retryAtMs) {
          builder.decision.timers.push(retryTimer(instance, instance.retryAtMs));
        } else {
          builder.move(instance, "scheduled");
        }
      }
      break;
    default:
      assertNever(event, "engine event");
  }
}
function isActiveTry(instance, tryNumber) {
  return ACTIVE_TRY_STATES.has(instance.state) && instance.tryNumber === tryNumber;
}
function retryTimer(instance, atMs) {
  return { atMs, event: { kind: "retry_due", taskId: instance.taskId, mapIndex: instance.mapIndex } };
}
function startRun(builder) {
  builder.draft.state = "running";
  for (const key of builder.snapshotKeys()) {
    const instance = builder.draft.instance(key);
    if (instance) builder.settlePending(instance);
  }
}
function cancelRun(builder, reason) {
  builder.draft.state = "canceled";
  for (const key of builder.snapshotKeys()) {
    const instance = builder.draft.instance(key);
    if (!instance || isTerminalTaskState(instance.state)) continue;
    if (ACTIVE_TRY_STATES.has(instance.state)) {
      builder.decision.actions.push({
        kind: "cancel_try",
        taskId: instance.taskId,
        mapIndex: instance.mapIndex,
        tryNumber: instance.tryNumber,
        reason
      });
    }
    builder.move(instance, "canceled", { reason });
  }
}
function applyDecision2(snapshot, decision) {
  if (decision.runId !== snapshot.runId) {
    throw new WeirError("engine_run_mismatch", `decision for run ${decision.runId} applied to run ${snapshot.runId}`, {
      input: false,
      where: { run: snapshot.runId }
    });
  }
  const ledger = snapshotLedger(snapshot);
  for (const transition of decision.transitions) recordTransition(ledger, transition);
  if (decision.run && snapshot.state === decision.run.from) snapshot.state = decision.run.to;
}
function skipCause(rule, counts) {
  switch (rule) {
    case "all_failed":
      return "an upstream did not fail";
    case "all_skipped":
      return "an upstream ran";
    case "one_failed":
      return "no upstream failed";
    case "one_done":
      return "no upstream succeeded or failed";
    default:
      return counts.skipped > 0 ? "upstream skipped" : "no upstream succeeded";
  }
}
function describeCounts(counts) {
  const parts = [];
  if (counts.success) parts.push(`${counts.success} success`);
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.upstreamFailed) parts.push(`${counts.upstreamFailed} upstream_failed`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.removed) parts.push(`${counts.removed} removed or canceled`);
  return `upstream: ${parts.join(", ") || "none done"}`;
}
function startedAt(event) {
  return event.startedMs === void 0 ? {} : { startedMs: event.startedMs };
}

// src/observe/try-log-path.ts
import { join } from "node:path";
function tryLogPath(home2, pipelineId, runId, taskId, mapIndex, tryNumber) {
  for (const [what, id] of [["pipeline", pipelineId], ["run", runId], ["task", taskId]]) {
    if (!isValidId(id)) throw new WeirError("id_invalid", `${what} id ${JSON.stringify(id)} must match [A-Za-z0-9_.-]{1,250}`, { input: false });
  }
  if (!Number.isInteger(mapIndex) || mapIndex < -1) throw new WeirError("map_index_invalid", `map index ${mapIndex} is not -1 or a non-negative integer`, { input: false });
  if (!Number.isInteger(tryNumber) || tryNumber < 1) throw new WeirError("try_number_invalid", `try number ${tryNumber} is not a positive integer`, { input: false });
  return join(home2, "logs", pipelineId, runId, taskId, String(mapIndex), `${tryNumber}.log`);
}

// src/worker/protocol.ts
function tryKeyOf(runId, taskId, mapIndex, tryNumber) {
  return `${runId}/${taskId}/${mapIndex}/${tryNumber}`;
}

// src/scheduler/crash-points.ts
var spec = parseSpec(process.env.WEIR_TEST_CRASH_AT);
var reached = 0;
function parseSpec(value) {
  if (!value) return null;
  const [point, n] = value.split(":");
  return point ? { point, n: Math.max(1, Number(n) || 1) } : null;
}
function crashPoint(point) {
  if (spec === null || spec.point !== point) return;
  reached++;
  if (reached === spec.n) process.kill(process.pid, "SIGKILL");
}

// src/scheduler/lost-try.ts
function lostTryFailure(detail) {
  return {
    name: "TryLostError",
    message: `the try was lost: ${detail}`,
    retryable: true,
    kind: "lost"
  };
}

// src/scheduler/coordinator.ts
var OUTPUT_CACHE_MAX_CHARS = 64 * 1024;
var Coordinator = class {
  constructor(options) {
    this.options = options;
  }
  runs = /* @__PURE__ */ new Map();
  queue = [];
  ticking = false;
  tickScheduled = false;
  listeners = /* @__PURE__ */ new Set();
  timers = /* @__PURE__ */ new Set();
  failure = null;
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** Starts driving a run created in state `queued`; resolves with its final state. */
  startRun(record, graph2) {
    const active = this.track(record, graph2, record.state, []);
    this.enqueue(record.id, { kind: "run_started" });
    return active.finished;
  }
  /**
   * Takes over a run after its driver died: tries that were queued or running are recorded as lost and
   * retried per policy, retry timers are re-armed, and scheduled instances are dispatched.
   */
  async resumeRun(record, graph2) {
    if (isTerminalRunState(record.state)) return record.state;
    const instances = await this.options.store.listTaskInstances(record.id);
    const active = this.track(record, graph2, record.state, instances);
    const needed = /* @__PURE__ */ new Set();
    for (const task of graph2.tasks) for (const up of Object.values(task.needs)) needed.add(up);
    const outputs = await this.options.store.getOutputs(record.id, [...needed]);
    for (const [taskId, output] of outputs) if (output.length <= OUTPUT_CACHE_MAX_CHARS) active.outputs.set(taskId, output);
    if (record.state === "queued") this.enqueue(record.id, { kind: "run_started" });
    for (const instance of instances) {
      const ref = { taskId: instance.taskId, mapIndex: instance.mapIndex, tryNumber: instance.tryNumber };
      if (instance.state === "queued" || instance.state === "running") {
        const error = lostTryFailure("the process driving the run stopped while the try was in flight");
        this.enqueue(record.id, { kind: "try_failed", ...ref, error });
      } else if (instance.state === "up_for_retry") {
        this.armTimer(record.id, instance.retryAtMs ?? 0, { kind: "retry_due", taskId: instance.taskId, mapIndex: instance.mapIndex });
      } else if (instance.state === "scheduled") {
        active.ready.add(instanceKey(instance.taskId, instance.mapIndex));
      }
    }
    this.scheduleTick();
    return active.finished;
  }
  /** Asks for a run to be canceled: running tries are stopped, unfinished instances canceled. */
  cancelRun(runId, reason) {
    this.enqueue(runId, { kind: "run_cancel_requested", reason });
  }
  /** Called by the executor when a try ends. */
  handleResult = (tryKey, result, timing) => {
    crashPoint("on_result");
    const parsed = parseTryKey(tryKey);
    if (!parsed) return;
    const { runId, ...rest } = parsed;
    const ref = timing === void 0 ? rest : { ...rest, startedMs: timing.startedMs };
    switch (result.outcome) {
      case "success":
        this.enqueue(runId, { kind: "try_succeeded", ...ref, output: result.output });
        break;
      case "failure":
        this.enqueue(runId, { kind: "try_failed", ...ref, error: result.error });
        break;
      case "skipped":
        this.enqueue(runId, { kind: "try_skipped", ...ref, reason: result.reason });
        break;
    }
  };
  /** Stops timers; active runs stay as they are in the store (resumable). */
  close() {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }
  activeRunIds() {
    return [...this.runs.keys()];
  }
  track(record, graph2, state2, instances) {
    const engineGraph = compileEngineGraph(graph2);
    const rows = instances.length > 0 ? instances : graph2.order.map((taskId) => ({ taskId, mapIndex: -1, state: "pending", tryNumber: 0, retryAtMs: null }));
    const snapshot = createRunSnapshot(record.id, state2, engineGraph, rows);
    let resolve;
    const finished = new Promise((r) => resolve = r);
    const active = {
      record,
      graph: graph2,
      tasks: new Map(graph2.tasks.map((t) => [t.id, t])),
      snapshot,
      ready: /* @__PURE__ */ new Set(),
      outputs: /* @__PURE__ */ new Map(),
      finished,
      resolve
    };
    this.runs.set(record.id, active);
    return active;
  }
  enqueue(runId, event) {
    this.queue.push({ runId, event });
    this.scheduleTick();
  }
  scheduleTick() {
    if (this.tickScheduled || this.ticking) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      void this.tick();
    });
  }
  async tick() {
    if (this.ticking || this.failure) return;
    this.ticking = true;
    try {
      const nowMs = this.options.clock.now();
      const decisions = [];
      const batch = this.queue;
      this.queue = [];
      const byRun = /* @__PURE__ */ new Map();
      for (const { runId, event } of batch) {
        const events = byRun.get(runId);
        if (events) events.push(event);
        else byRun.set(runId, [event]);
      }
      for (const [runId, events] of byRun) {
        const active = this.runs.get(runId);
        if (active) this.decide(active, events, nowMs, decisions);
      }
      const jobs = this.dispatch(nowMs, decisions);
      if (decisions.length === 0) return;
      crashPoint("before_commit");
      const result = await this.options.store.applyDecisions(decisions);
      crashPoint("after_commit");
      const conflicted = new Set(result.conflicts.map((c2) => c2.runId));
      for (const runId of conflicted) await this.reload(runId);
      for (const pending of jobs) {
        if (conflicted.has(pending.job.runId)) continue;
        if (pending.missing.size > 0) await this.readMissingInputs(pending);
        this.options.executor.submit(pending.job);
        crashPoint("after_dispatch");
      }
      for (const index of result.applied) this.afterCommit(decisions[index]);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const active of this.runs.values()) active.resolve("failed");
      throw this.failure;
    } finally {
      this.ticking = false;
      if (this.queue.length > 0 || this.hasDispatchable()) this.scheduleTick();
    }
  }
  decide(active, events, nowMs, decisions) {
    const decision = advanceAll(active.snapshot, events, nowMs);
    if (isEmptyDecision(decision)) return;
    applyDecision2(active.snapshot, decision);
    for (const t of decision.transitions) {
      const key = instanceKey(t.taskId, t.mapIndex);
      if (t.to === "scheduled") active.ready.add(key);
      else active.ready.delete(key);
      if (t.to === "success" && t.output !== void 0 && t.output.length <= OUTPUT_CACHE_MAX_CHARS) active.outputs.set(t.taskId, t.output);
    }
    decisions.push(decision);
  }
  hasDispatchable() {
    if (this.options.executor.freeSlots() <= 0) return false;
    for (const active of this.runs.values()) if (active.ready.size > 0) return true;
    return false;
  }
  /** Claims scheduled instances for free worker slots, round-robin across runs. */
  dispatch(nowMs, decisions) {
    const jobs = [];
    const claims = /* @__PURE__ */ new Map();
    let free = this.options.executor.freeSlots();
    let progressed = true;
    while (free > 0 && progressed) {
      progressed = false;
      for (const active of this.runs.values()) {
        if (free <= 0) break;
        const key = first(active.ready);
        if (key === void 0) continue;
        active.ready.delete(key);
        const instance = active.snapshot.instances.get(key);
        if (!instance || instance.state !== "scheduled") continue;
        progressed = true;
        const tryNumber = instance.tryNumber + 1;
        const ref = { taskId: instance.taskId, mapIndex: instance.mapIndex, tryNumber };
        const events = claims.get(active) ?? [];
        events.push({ kind: "try_queued", ...ref }, { kind: "try_started", ...ref, worker: "local" });
        claims.set(active, events);
        const job = this.buildJob(active, instance.taskId, instance.mapIndex, tryNumber);
        if (job) {
          jobs.push(job);
          free--;
        }
      }
    }
    for (const [active, events] of claims) this.decide(active, events, nowMs, decisions);
    return jobs;
  }
  buildJob(active, taskId, mapIndex, tryNumber) {
    const task = active.tasks.get(taskId);
    if (!task) return null;
    const run2 = active.record;
    const inputs = {};
    const missing = /* @__PURE__ */ new Map();
    for (const [name, upstream] of Object.entries(task.needs)) {
      const output = active.outputs.get(upstream);
      if (output === void 0) missing.set(name, upstream);
      else inputs[name] = output;
    }
    const job = {
      tryKey: tryKeyOf(run2.id, taskId, mapIndex, tryNumber),
      file: run2.file,
      pipelineId: run2.pipelineId,
      version: run2.version,
      taskId,
      mapIndex,
      tryNumber,
      maxTries: task.retry.retries + 1,
      runId: run2.id,
      logicalDateMs: run2.logicalDateMs,
      intervalStartMs: run2.intervalStartMs,
      intervalEndMs: run2.intervalEndMs,
      params: run2.params,
      inputs,
      logPath: tryLogPath(this.options.home, run2.pipelineId, run2.id, taskId, mapIndex, tryNumber),
      timeoutMs: task.timeoutMs,
      idempotencyKey: `${run2.id}/${taskId}/${mapIndex}`
    };
    return { job, missing };
  }
  /** Outputs not cached in memory (large, or from before a resume) come from the store. */
  async readMissingInputs(pending) {
    const outputs = await this.options.store.getOutputs(pending.job.runId, [...new Set(pending.missing.values())]);
    for (const [name, upstream] of pending.missing) {
      const output = outputs.get(upstream);
      if (output !== void 0) pending.job.inputs[name] = output;
    }
  }
  afterCommit(decision) {
    const active = this.runs.get(decision.runId);
    if (!active) return;
    for (const action of decision.actions) {
      if (action.kind === "cancel_try") {
        this.options.executor.abort(tryKeyOf(decision.runId, action.taskId, action.mapIndex, action.tryNumber), "canceled");
      }
    }
    for (const timer of decision.timers) this.armTimer(decision.runId, timer.atMs, timer.event);
    if (decision.run) {
      active.record = { ...active.record, state: decision.run.to };
      if (decision.run.to === "running" && active.record.startedMs === null) active.record.startedMs = decision.nowMs;
      if (isTerminalRunState(decision.run.to)) active.record.endedMs = decision.nowMs;
    }
    const change = { run: active.record, transitions: decision.transitions, runState: active.snapshot.state, nowMs: decision.nowMs };
    for (const listener of this.listeners) listener(change);
    if (decision.run && isTerminalRunState(decision.run.to)) {
      this.runs.delete(decision.runId);
      active.resolve(decision.run.to);
    }
  }
  armTimer(runId, atMs, event) {
    const cancel = this.options.clock.at(atMs, () => {
      this.timers.delete(cancel);
      this.enqueue(runId, event);
    });
    this.timers.add(cancel);
  }
  /** After a guard conflict, memory is rebuilt from the store, the source of truth. */
  async reload(runId) {
    const active = this.runs.get(runId);
    if (!active) return;
    const record = await this.options.store.getRun(runId);
    this.runs.delete(runId);
    if (!record) return;
    const instances = await this.options.store.listTaskInstances(runId);
    const fresh = this.track(record, active.graph, record.state, instances);
    fresh.finished = active.finished;
    fresh.resolve = active.resolve;
    for (const i of instances) if (i.state === "scheduled") fresh.ready.add(instanceKey(i.taskId, i.mapIndex));
    if (isTerminalRunState(record.state)) {
      this.runs.delete(runId);
      active.resolve(record.state);
    }
  }
};
function first(set) {
  for (const value of set) return value;
  return void 0;
}
function parseTryKey(tryKey) {
  const parts = tryKey.split("/");
  if (parts.length !== 4) return null;
  const [runId, taskId, mapIndex, tryNumber] = parts;
  return { runId, taskId, mapIndex: Number(mapIndex), tryNumber: Number(tryNumber) };
}

// src/scheduler/clock.ts
var systemClock = {
  now: () => Date.now(),
  at(atMs, fn) {
    let handle;
    const arm = () => {
      const delay = atMs - Date.now();
      if (delay <= 0) fn();
      else handle = setTimeout(arm, Math.min(delay, 2 ** 31 - 1));
    };
    handle = setTimeout(arm, Math.max(0, Math.min(atMs - Date.now(), 2 ** 31 - 1)));
    return () => clearTimeout(handle);
  }
};

// bench/.tmp-tb/coord.ts
var N = Number(process.argv[2] ?? 2e3);
var spec2 = pipeline({ id: "fan" }, (p) => {
  const root = p.task("root", () => 1);
  const mids = Array.from({ length: N }, (_, i) => p.task(`t${i}`, { after: [root] }, () => 1));
  p.task("join", { after: mids }, () => 1);
}).spec;
var graph = compilePipeline(spec2, "/x.ts").graph;
var home = mkdtempSync(join2(tmpdir(), "cb-"));
var store = openSqliteStore({ path: join2(home, "weir.db") });
await store.migrate();
await store.savePipelineVersion(graph, Date.now());
var coordinator;
var executor = { freeSlots: () => 16, submit: (job) => setImmediate(() => coordinator.handleResult(job.tryKey, { outcome: "success", output: "1" })), abort: () => {
} };
coordinator = new Coordinator({ store, executor, clock: systemClock, home });
var { run } = await store.createRun({ id: "r1", pipelineId: "fan", version: graph.version, trigger: "manual", logicalDateMs: 0, intervalStartMs: 0, intervalEndMs: 0, params: {}, file: "/x.ts", taskIds: graph.order }, Date.now());
var t0 = performance.now();
var c0 = process.cpuUsage();
var state = await coordinator.startRun(run, graph);
var c = process.cpuUsage(c0);
console.log(state, `${((N + 2) / ((performance.now() - t0) / 1e3)).toFixed(0)} tasks/s; cpu ${((c.user + c.system) / (N + 2)).toFixed(1)} \xB5s/task`);
