// Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat): `text` alone says everything, so
// receivers that ignore `blocks` still show a complete message; `blocks` add the details under it.
import { postJson } from "./http-post.js";
import { notificationFields, summarizeNotification, truncate } from "./message-text.js";
import type { Notification, NotificationKind, Notifier, SlackNotifierConfig } from "./types.js";

const EMOJI: Record<NotificationKind, string> = {
  task_failed: ":x:",
  task_retry: ":repeat:",
  task_success: ":white_check_mark:",
  run_failed: ":x:",
  run_success: ":white_check_mark:",
  deadline_missed: ":alarm_clock:",
};

export interface SlackPayload {
  text: string;
  blocks?: unknown[];
  channel?: string;
  username?: string;
}

/** Slack's mrkdwn treats `&`, `<` and `>` as control characters; anything from users is escaped. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `<url|label>` when the link is an http(s) URL, else nothing (a bad link must not break the message). */
function slackLink(link: string | undefined, label: string): string | undefined {
  if (link === undefined || !/^https?:\/\//i.test(link)) return undefined;
  return `<${link.replace(/[<>|]/g, encodeURIComponent)}|${label}>`;
}

export function toSlackPayload(n: Notification, config: Pick<SlackNotifierConfig, "channel" | "username"> = {}): SlackPayload {
  const link = slackLink(n.link, "open run");
  const text = `${EMOJI[n.kind]} ${escapeSlack(summarizeNotification(n))}${link ? ` · ${link}` : ""}`;
  const details = notificationFields(n)
    .filter(([label]) => label !== "Link" && label !== "Pipeline" && label !== "Run")
    .map(([label, value]) => `${label}: ${escapeSlack(value)}`)
    .join(" · ");
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text: truncate(text, 2900) } }];
  if (n.error && n.error.message.includes("\n")) {
    // The summary shows the first line; the whole message goes in a code block (``` cannot be escaped, so it is broken up).
    const full = truncate(`${n.error.name}: ${n.error.message}`, 2800).replace(/```/g, "`\u200b``");
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `\`\`\`${escapeSlack(full)}\`\`\`` } });
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: truncate(details, 2900) }] });
  const payload: SlackPayload = { text, blocks };
  if (config.channel !== undefined) payload.channel = config.channel;
  if (config.username !== undefined) payload.username = config.username;
  return payload;
}

export function createSlackNotifier(config: SlackNotifierConfig): Notifier {
  return {
    send: (n, signal) =>
      postJson({ what: "Slack webhook", url: config.url, body: toSlackPayload(n, config), timeoutMs: config.timeoutMs, signal }),
  };
}
