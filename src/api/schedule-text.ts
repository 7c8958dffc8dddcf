// A pipeline's schedule in words for the pipelines page ("every day at 02:30 (Europe/Berlin)"). Common cron
// shapes are spelled out; anything else is shown as its expression, which is never wrong.
import type { Schedule } from "../define/types.js";
import { SCHEDULE_PRESETS } from "../time/index.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function describeSchedule(schedule: Schedule, timezone: string): string {
  if (schedule === null) return "manual only";
  if (typeof schedule === "object") {
    if ("after" in schedule) {
      const after = `after ${schedule.after.join(", ")} succeed${schedule.after.length === 1 ? "s" : ""}`;
      return schedule.cron === undefined ? after : `${after}, and ${describeSchedule(schedule.cron, timezone)}`;
    }
    const batch = schedule.batch;
    const policy = batch === undefined || batch === "each" ? "" : batch === "latest" ? " (the latest)" : ` (batches of up to ${batch.max} within ${String(batch.window)})`;
    const events = `on event${schedule.events.length === 1 ? "" : "s"} ${schedule.events.join(", ")}${policy}`;
    return schedule.cron === undefined ? events : `${events}, and ${describeSchedule(schedule.cron, timezone)}`;
  }
  const text = schedule.trim();
  const expression = text.startsWith("@") ? SCHEDULE_PRESETS[text.toLowerCase()] : /\s/.test(text) ? text : undefined;
  if (expression === undefined) return describeInterval(text);
  return `${describeCron(expression)} (${timezone})`;
}

function describeInterval(text: string): string {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(text);
  if (!match) return `every ${text}`;
  const n = Number(match[1]);
  const unit = { ms: "millisecond", s: "second", m: "minute", h: "hour", d: "day" }[match[2] as "ms" | "s" | "m" | "h" | "d"];
  return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
}

const two = (n: number): string => String(n).padStart(2, "0");
const isNumber = (field: string): boolean => /^\d+$/.test(field);

function describeCron(expression: string): string {
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) return `cron "${expression}"`;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const everyMinutes = /^\*\/(\d+)$/.exec(minute);
  if (everyMinutes && hour === "*" && dom === "*" && month === "*" && dow === "*") return `every ${everyMinutes[1]} minutes`;
  if (minute === "*" && hour === "*" && dom === "*" && month === "*" && dow === "*") return "every minute";
  if (isNumber(minute) && hour === "*" && dom === "*" && month === "*" && dow === "*") return `every hour at minute ${Number(minute)}`;
  if (!isNumber(minute) || !isNumber(hour) || month !== "*") return `cron "${expression}"`;
  const at = `at ${two(Number(hour))}:${two(Number(minute))}`;
  if (dom === "*" && dow === "*") return `every day ${at}`;
  if (dom === "*" && isNumber(dow)) return `every ${DAYS[Number(dow) % 7]} ${at}`;
  if (dom === "*" && dow === "1-5") return `every weekday ${at}`;
  if (isNumber(dom) && dow === "*") return `on day ${Number(dom)} of every month ${at}`;
  return `cron "${expression}"`;
}
