// How a notification reads to a human, written once so Slack, email and logs say the same thing:
// a one-line summary (`etl_daily · run R failed — task load: Error: boom`), an email subject, and the
// labelled fields of a longer message.
import type { Notification, NotificationKind } from "./types.js";

/** `load` or `train[3]` for a mapped instance; undefined for run-level events. */
export function formatTaskLabel(n: Notification): string | undefined {
  if (n.taskId === undefined) return undefined;
  return n.mapIndex !== undefined && n.mapIndex >= 0 ? `${n.taskId}[${n.mapIndex}]` : n.taskId;
}

/** `Error: boom` — the first line of the message only, cut at `maxChars`. */
export function formatErrorLine(error: { name: string; message: string }, maxChars = 300): string {
  const firstLine = error.message.split(/\r\n|\r|\n/, 1)[0] ?? "";
  const text = firstLine.length > 0 ? `${error.name}: ${firstLine}` : error.name;
  return truncate(text, maxChars);
}

export function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(0, maxChars - 1))}…`;
}

/** One line, no newlines: what happened, to what, and why. Plain text (callers escape for their medium). */
export function summarizeNotification(n: Notification): string {
  const head = `${n.pipelineId} · run ${n.runId}`;
  const task = formatTaskLabel(n);
  const onTry = n.tryNumber !== undefined ? ` on try ${n.tryNumber}` : "";
  const why = n.error ? formatErrorLine(n.error) : undefined;
  const line = ((): string => {
    switch (n.kind) {
      case "task_failed":
        return `${head}: task ${task ?? "?"} failed${onTry}${why ? ` — ${why}` : ""}`;
      case "task_retry":
        return `${head}: task ${task ?? "?"} will retry after failing${onTry}${why ? ` — ${why}` : ""}`;
      case "task_success":
        return `${head}: task ${task ?? "?"} succeeded${onTry}`;
      case "run_failed": {
        const cause = [task === undefined ? undefined : `task ${task}`, why].filter((part) => part !== undefined).join(": ");
        return `${head} failed${cause ? ` — ${cause}` : ""}`;
      }
      case "run_success":
        return `${head} succeeded`;
      case "deadline_missed":
        return `${head} missed its deadline (logical date ${n.logicalDate}${n.deadline ? `; due ${n.deadline.dueAt}, ${n.deadline.after} after its interval; still ${n.deadline.state}` : ""})`;
    }
  })();
  return line.replace(/[\r\n]+/g, " ");
}

const SUBJECT_VERB: Record<NotificationKind, string> = {
  task_failed: "failed",
  task_retry: "retrying",
  task_success: "succeeded",
  run_failed: "failed",
  run_success: "succeeded",
  deadline_missed: "missed its deadline",
};

/** `[weir] etl_daily failed: task load (run R)`. */
export function notificationSubject(n: Notification): string {
  const task = formatTaskLabel(n);
  const taskPart = task ? `: task ${task}` : "";
  return `[weir] ${n.pipelineId} ${SUBJECT_VERB[n.kind]}${taskPart} (run ${n.runId})`.replace(/[\r\n]+/g, " ");
}

/** The labelled fields of a notification, in reading order, for multi-line renderings. */
export function notificationFields(n: Notification): Array<[label: string, value: string]> {
  const fields: Array<[string, string]> = [
    ["Pipeline", n.pipelineId],
    ["Run", n.runId],
  ];
  const task = formatTaskLabel(n);
  if (task !== undefined) fields.push(["Task", task]);
  if (n.tryNumber !== undefined) fields.push(["Try", String(n.tryNumber)]);
  fields.push(["Logical date", n.logicalDate], ["Event", n.kind], ["At", n.at]);
  if (n.link !== undefined) fields.push(["Link", n.link]);
  return fields;
}
