// An RFC 5322 message as SMTP DATA carries it: ASCII-only headers (RFC 2047 words for anything else),
// a quoted-printable UTF-8 body (safe through 7-bit relays, no 998-byte line limit to break), CRLF
// line ends, and the dot-stuffing that keeps a body line "." from ending DATA early.
import { randomUUID } from "node:crypto";
import { notificationFields, notificationSubject, summarizeNotification, truncate } from "./message-text.js";
import type { Notification } from "./types.js";

export interface Mailbox {
  /** `a@example.com`, as it goes into MAIL FROM / RCPT TO. */
  address: string;
  displayName?: string;
}

// Printable ASCII without the characters that would let an address break out of `<…>` or a header.
const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;

/** `a@example.com` or `Name <a@example.com>`; undefined when it is neither. */
export function parseMailbox(text: string): Mailbox | undefined {
  if ([...text].some((char) => char.charCodeAt(0) < 0x20 || char === "\x7f")) return undefined;
  const trimmed = text.trim();
  const named = /^(.*?)\s*<([^<>]*)>$/.exec(trimmed);
  const address = named ? (named[2] ?? "") : trimmed;
  if (!ADDRESS.test(address) || address.startsWith(".") || address.includes("..")) return undefined;
  if (!named) return { address };
  const displayName = (named[1] ?? "").replace(/^"(.*)"$/, "$1").trim();
  if (/[\r\n<>]/.test(displayName)) return undefined;
  return displayName ? { address, displayName } : { address };
}

function formatMailbox(mailbox: Mailbox): string {
  if (!mailbox.displayName) return mailbox.address;
  const name = isAscii(mailbox.displayName)
    ? `"${mailbox.displayName.replace(/[\\"]/g, "\\$&")}"`
    : encodeHeaderWords(mailbox.displayName);
  return `${name} <${mailbox.address}>`;
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** RFC 2047 `=?UTF-8?B?…?=` words (folded, each ≤ 75 chars) when `text` is not plain ASCII; else `text`. */
export function encodeHeaderWords(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ");
  if (isAscii(clean)) return clean;
  const words: string[] = [];
  let chunk = "";
  for (const char of clean) {
    // 45 bytes of UTF-8 → 60 base64 chars → a 72-char word; never split a character across words.
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString("base64")}?=`).join("\r\n ");
}

/** Quoted-printable (RFC 2045 §6.7) of the UTF-8 bytes of `text`, lines ≤ 76 chars, CRLF line ends. */
export function encodeQuotedPrintable(text: string): string {
  return text.split(/\r\n|\r|\n/).map(encodeQuotedPrintableLine).join("\r\n");
}

function encodeQuotedPrintableLine(line: string): string {
  const bytes = Buffer.from(line, "utf8");
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const isLast = i === bytes.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !isLast);
    const token = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (current.length + token.length > 75) {
      out.push(`${current}=`);
      current = "";
    }
    current += token;
  }
  out.push(current);
  return out.join("\r\n");
}

/** RFC 5322 date-time in UTC: `Wed, 03 Sep 2025 10:00:00 +0000`. */
export function formatMailDate(date: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

export interface ComposeEmailInput {
  from: Mailbox;
  to: Mailbox[];
  subject: string;
  text: string;
  date: Date;
  messageId?: string;
  /** Extra `X-…` headers; values are made single-line. */
  headers?: Record<string, string>;
}

/** The whole message with CRLF line ends, not yet dot-stuffed. */
export function composeEmail(input: ComposeEmailInput): string {
  const domain = input.from.address.split("@")[1] ?? "weir.invalid";
  const headers: Array<[string, string]> = [
    ["From", formatMailbox(input.from)],
    ["To", input.to.map(formatMailbox).join(",\r\n ")],
    ["Subject", encodeHeaderWords(input.subject)],
    ["Date", formatMailDate(input.date)],
    ["Message-ID", input.messageId ?? `<${randomUUID()}@${domain}>`],
    ["MIME-Version", "1.0"],
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Transfer-Encoding", "quoted-printable"],
  ];
  for (const [name, value] of Object.entries(input.headers ?? {})) headers.push([name, encodeHeaderWords(value)]);
  const head = headers.map(([name, value]) => `${name}: ${value}`).join("\r\n");
  return `${head}\r\n\r\n${encodeQuotedPrintable(input.text)}\r\n`;
}

/** CRLF everywhere and a second dot on every line that starts with one (RFC 5321 §4.5.2); ends with CRLF. */
export function dotStuff(message: string): string {
  const lines = message.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => (line.startsWith(".") ? `.${line}` : line)).join("\r\n") + "\r\n";
}

/** The plain-text body of a notification email: the summary, the labelled fields, then the whole error. */
export function notificationEmailText(n: Notification): string {
  const fields = notificationFields(n);
  const width = Math.max(...fields.map(([label]) => label.length)) + 2;
  const lines = [summarizeNotification(n), "", ...fields.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`)];
  if (n.error) lines.push("", "Error:", truncate(`${n.error.name}: ${n.error.message}`, 20_000));
  return lines.join("\n");
}

export function notificationEmail(n: Notification, from: Mailbox, to: Mailbox[], date: Date): string {
  return composeEmail({
    from,
    to,
    subject: notificationSubject(n),
    text: notificationEmailText(n),
    date,
    headers: { "X-Weir-Event": n.kind, "X-Weir-Pipeline": n.pipelineId, "X-Weir-Run": n.runId },
  });
}
