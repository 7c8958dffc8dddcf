// Email over SMTP with Node's own sockets: EHLO, optional STARTTLS, optional AUTH PLAIN/LOGIN, one
// envelope, DATA, QUIT. A send is one conversation with one deadline; a refusal names the reply code
// and the command it answered (`SMTP 550 after RCPT TO <x>: …`).
import { isIP } from "node:net";
import { hostname } from "node:os";
import type { ConnectionOptions } from "node:tls";
import { WeirError } from "../common/errors.js";
import { dotStuff, notificationEmail, parseMailbox, type Mailbox } from "./email-message.js";
import { NotificationSendError } from "./send-error.js";
import { replyText, SmtpConnection, type SmtpReply } from "./smtp-connection.js";
import type { EmailNotifierConfig, Notifier } from "./types.js";

export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

export interface SmtpNotifierOptions {
  /** The clock for the Date header; tests pin it. */
  now?: () => Date;
  /** The name we give in EHLO; default this machine's host name. */
  clientName?: string;
}

function expectReply(reply: SmtpReply, accepted: readonly number[], step: string): SmtpReply {
  if (accepted.includes(reply.code)) return reply;
  // 4xx is "try again later" by definition; 5xx (and anything unexpected) will fail the same way again.
  const retryable = reply.code >= 400 && reply.code < 500;
  throw new NotificationSendError(`SMTP ${reply.code} after ${step}: ${replyText(reply) || "(no text)"}`, { retryable });
}

/** EHLO keywords, upper-cased, with their parameters: `AUTH` → ["PLAIN", "LOGIN"]. */
function parseCapabilities(reply: SmtpReply): Map<string, string[]> {
  const capabilities = new Map<string, string[]>();
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/[\s=]+/);
    if (keyword) capabilities.set(keyword.toUpperCase(), params.map((p) => p.toUpperCase()));
  }
  return capabilities;
}

/** A host name fit for EHLO: the machine's name if it looks like one, else an address literal. */
function ehloName(): string {
  const name = hostname();
  return /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name) ? name : "[127.0.0.1]";
}

export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "[::1]";
}

export function createSmtpNotifier(config: EmailNotifierConfig, options: SmtpNotifierOptions = {}): Notifier {
  const sender = parseMailbox(config.from);
  const recipients = config.to.map((address) => parseMailbox(address)).filter((m): m is Mailbox => m !== undefined);
  if (!sender || recipients.length !== config.to.length || recipients.length === 0) {
    throw new WeirError("notifier_invalid", "email notifier: from and every to must be an email address");
  }
  const from: Mailbox = sender;
  const timeoutMs = config.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const tls: ConnectionOptions = {
    // SNI only for names; Node rejects an IP address as servername.
    ...(isIP(config.host) === 0 ? { servername: config.host } : {}),
    ...(config.tls?.ca !== undefined ? { ca: config.tls.ca } : {}),
    rejectUnauthorized: config.tls?.rejectUnauthorized ?? true,
  };
  const now = options.now ?? ((): Date => new Date());
  const clientName = options.clientName ?? ehloName();

  async function ehlo(connection: SmtpConnection): Promise<Map<string, string[]>> {
    const reply = await connection.command(`EHLO ${clientName}`, "EHLO");
    if (reply.code === 250) return parseCapabilities(reply);
    // A server from before ESMTP: HELO still delivers mail, with no STARTTLS or AUTH.
    if (reply.code === 500 || reply.code === 502) {
      expectReply(await connection.command(`HELO ${clientName}`, "HELO"), [250], "HELO");
      return new Map();
    }
    expectReply(reply, [250], "EHLO");
    return new Map();
  }

  async function authenticate(connection: SmtpConnection, capabilities: Map<string, string[]>, user: string, password: string): Promise<void> {
    const mechanisms = capabilities.get("AUTH") ?? [];
    const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
    if (mechanisms.includes("PLAIN")) {
      expectReply(await connection.command(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`, "AUTH PLAIN"), [235], "AUTH PLAIN");
    } else if (mechanisms.includes("LOGIN")) {
      expectReply(await connection.command("AUTH LOGIN", "AUTH LOGIN"), [334], "AUTH LOGIN");
      expectReply(await connection.command(b64(user), "AUTH LOGIN user name"), [334], "AUTH LOGIN user name");
      expectReply(await connection.command(b64(password), "AUTH LOGIN password"), [235], "AUTH LOGIN password");
    } else {
      const offered = mechanisms.length > 0 ? `it offers ${mechanisms.join(", ")}` : "it offers no AUTH";
      throw new NotificationSendError(`SMTP server ${connection.target} does not accept AUTH PLAIN or LOGIN (${offered})`, { retryable: false });
    }
  }

  async function converse(connection: SmtpConnection, message: string): Promise<void> {
    expectReply(await connection.readReply("the greeting"), [220], "connecting");
    let capabilities = await ehlo(connection);
    if (config.starttls && !config.secure) {
      if (!capabilities.has("STARTTLS")) {
        throw new NotificationSendError(`SMTP server ${connection.target} does not offer STARTTLS, and starttls is required`, { retryable: false });
      }
      expectReply(await connection.command("STARTTLS", "STARTTLS"), [220], "STARTTLS");
      await connection.upgradeToTls();
      capabilities = await ehlo(connection); // what was offered in clear text no longer counts (RFC 3207 §4.2)
    }
    if (config.user !== undefined) {
      if (!connection.isTls && !isLoopbackHost(config.host)) {
        throw new NotificationSendError(`refusing to send the SMTP password to ${connection.target} without TLS`, { retryable: false });
      }
      await authenticate(connection, capabilities, config.user, config.password ?? "");
    }
    const mailFrom = `MAIL FROM <${from.address}>`;
    expectReply(await connection.command(`MAIL FROM:<${from.address}>`, mailFrom), [250], mailFrom);
    for (const recipient of recipients) {
      const rcptTo = `RCPT TO <${recipient.address}>`;
      expectReply(await connection.command(`RCPT TO:<${recipient.address}>`, rcptTo), [250, 251], rcptTo);
    }
    expectReply(await connection.command("DATA", "DATA"), [354], "DATA");
    connection.write(`${dotStuff(message)}.\r\n`);
    expectReply(await connection.readReply("the reply to the end of DATA"), [250], "the end of DATA");
    // The message is accepted: from here nothing may fail the send, or a retry would deliver it twice.
    try {
      await connection.command("QUIT", "QUIT");
    } catch {
      // a server that drops the connection instead of answering QUIT has still taken the message
    }
  }

  return {
    async send(n, signal) {
      const message = notificationEmail(n, from, recipients, now());
      const connection = new SmtpConnection({ host: config.host, port: config.port, secure: config.secure === true, tls, timeoutMs, signal });
      try {
        await converse(connection, message);
      } finally {
        connection.close();
      }
    },
  };
}
