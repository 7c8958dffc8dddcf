// A pipeline's `deadline` option: how long after its interval ends a run may take before the notifiers
// are told (once per run). It never fails the run, so unlike `timeout` it is an alert, not a limit.
import { isValidId } from "../common/ids.js";
import { parseDuration, type Duration } from "../define/duration.js";
import type { GraphProblem, RunDeadline } from "./types.js";

export function resolveRunDeadline(value: unknown, report: (problem: GraphProblem) => void): RunDeadline | null {
  if (value === undefined || value === null) return null;
  const say = (message: string): null => {
    report({ code: "pipeline_option_invalid", message: `deadline: ${message}` });
    return null;
  };
  if (typeof value !== "object" || Array.isArray(value)) return say(`must be { after: "2h", notify: ["name"] }, got ${JSON.stringify(value)}`);
  const { after, notify } = value as { after?: unknown; notify?: unknown };
  let afterMs: number;
  try {
    if (after === undefined) return say('"after" is missing (a duration such as "2h")');
    afterMs = parseDuration(after as Duration, "deadline.after");
  } catch (error) {
    return say(error instanceof Error ? error.message : String(error));
  }
  if (afterMs <= 0) return say('"after" must be longer than 0');
  if (!Array.isArray(notify) || notify.length === 0 || !notify.every((v) => typeof v === "string" && isValidId(v))) {
    return say(`"notify" must be a non-empty list of notifier names (letters, digits, _ . -), got ${JSON.stringify(notify)}`);
  }
  return { afterMs, notify: [...new Set(notify.map((v: string) => v.toLowerCase()))] };
}
