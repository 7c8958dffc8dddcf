// The wire side of an SMTP conversation: one socket (plain, implicit TLS, or upgraded by STARTTLS),
// replies parsed line by line (multi-line `250-…` continuations included) and handed out in order, and
// one abort signal for the whole conversation. Every failure becomes a NotificationSendError naming the
// step that was waiting, so a message reads `SMTP timed out … waiting for the reply to DATA`.
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { NotificationSendError } from "./send-error.js";

export interface SmtpReply {
  code: number;
  /** The text of each line, without the code. */
  lines: string[];
}

export interface SmtpConnectOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte. */
  secure: boolean;
  tls: ConnectionOptions;
  /** For the whole conversation, from connect to QUIT. */
  timeoutMs: number;
  /** The caller's cancellation. */
  signal?: AbortSignal;
}

/** A reply line longer than this, or a reply with more lines, is not SMTP. */
const MAX_LINE = 4096;
const MAX_LINES = 200;

export function replyText(reply: SmtpReply): string {
  return reply.lines.join(" ").replace(/\s+/g, " ").trim();
}

export class SmtpConnection {
  private socket: Socket | TLSSocket;
  private buffered = "";
  private partial: string[] = [];
  private readonly replies: SmtpReply[] = [];
  private replyWaiter: { resolve: (reply: SmtpReply) => void; reject: (error: Error) => void } | undefined;
  private handshakeWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** What the conversation is waiting for, for messages: `the greeting`, `the reply to RCPT TO <x>`. */
  private step = "the greeting";
  readonly target: string;
  private readonly timeout: AbortSignal;
  private readonly signal: AbortSignal;
  private readonly onAbort = (): void => this.abort();

  constructor(private readonly options: SmtpConnectOptions) {
    this.target = `${options.host}:${options.port}`;
    this.socket = options.secure
      ? tlsConnect({ ...options.tls, host: options.host, port: options.port })
      : netConnect({ host: options.host, port: options.port });
    this.attach(this.socket);
    this.timeout = AbortSignal.timeout(options.timeoutMs);
    this.signal = options.signal ? AbortSignal.any([options.signal, this.timeout]) : this.timeout;
    if (this.signal.aborted) this.abort();
    else this.signal.addEventListener("abort", this.onAbort, { once: true });
  }

  get isTls(): boolean {
    return "encrypted" in this.socket && this.socket.encrypted === true;
  }

  /** The next reply from the server (replies are queued, so none is lost between calls). */
  readReply(step: string): Promise<SmtpReply> {
    this.step = step;
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.replyWaiter = { resolve, reject };
    });
  }

  /** Sends `line` + CRLF and reads the reply. `step` names the command in messages — never with credentials. */
  command(line: string, step: string): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    return this.readReply(`the reply to ${step}`);
  }

  write(data: string): void {
    if (this.failure || this.closed) return; // the pending read reports the failure
    this.socket.write(data, "utf8");
  }

  /** STARTTLS, after the server's 220: the same TCP connection wrapped in TLS. */
  async upgradeToTls(): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    // Anything the server sent after its 220 arrived in clear text and could be injected (CVE-2011-0411 class):
    // drop it rather than read it as if it came over TLS.
    this.buffered = "";
    this.partial = [];
    this.replies.length = 0;
    this.step = "the TLS handshake";
    const secured = tlsConnect({ ...this.options.tls, socket: plain });
    this.socket = secured;
    this.attach(secured);
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.handshakeWaiter = { resolve, reject };
      secured.once("secureConnect", () => {
        this.handshakeWaiter = undefined;
        resolve();
      });
    });
  }

  /** Ends the connection; later socket events are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal.removeEventListener("abort", this.onAbort);
    this.socket.destroy();
  }

  private attach(socket: Socket): void {
    socket.setEncoding("utf8");
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
    // A late error from the old socket object must not become an unhandled 'error' event.
    socket.on("error", () => {});
  }

  private readonly onData = (chunk: string): void => {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, newline).replace(/\r$/, "");
      this.buffered = this.buffered.slice(newline + 1);
      this.onLine(line);
      if (this.failure) return;
    }
    if (this.buffered.length > MAX_LINE) this.protocolError(`a reply line longer than ${MAX_LINE} characters`);
  };

  private onLine(line: string): void {
    const match = /^(\d{3})(?:([ -])(.*))?$/.exec(line);
    if (!match) return this.protocolError(`an unreadable reply line ${JSON.stringify(line.slice(0, 80))}`);
    const code = Number(match[1]);
    this.partial.push(match[3] ?? "");
    if (match[2] === "-") {
      if (this.partial.length > MAX_LINES) this.protocolError(`a reply of more than ${MAX_LINES} lines`);
      return;
    }
    const reply: SmtpReply = { code, lines: this.partial };
    this.partial = [];
    const waiter = this.replyWaiter;
    if (waiter) {
      this.replyWaiter = undefined;
      waiter.resolve(reply);
    } else if (this.handshakeWaiter) {
      this.protocolError("a reply during the TLS handshake");
    } else {
      this.replies.push(reply);
    }
  }

  private readonly onError = (error: Error): void => {
    const message =
      this.step === "the TLS handshake"
        ? `SMTP TLS handshake with ${this.target} failed: ${error.message}`
        : `SMTP connection to ${this.target} failed while waiting for ${this.step}: ${error.message}`;
    this.fail(new NotificationSendError(message, { retryable: true, cause: error }));
  };

  private readonly onClose = (): void => {
    this.fail(new NotificationSendError(`SMTP server ${this.target} closed the connection while we waited for ${this.step}`, { retryable: true }));
  };

  private protocolError(what: string): void {
    this.fail(new NotificationSendError(`SMTP server ${this.target} sent ${what} while we waited for ${this.step}`, { retryable: true }));
    this.socket.destroy();
  }

  private abort(): void {
    const timedOut = this.timeout.aborted;
    const reason: unknown = this.signal.reason;
    const message = timedOut
      ? `SMTP timed out after ${this.options.timeoutMs} ms waiting for ${this.step} from ${this.target}`
      : `SMTP conversation with ${this.target} was aborted while waiting for ${this.step}`;
    this.fail(new NotificationSendError(message, { retryable: timedOut, cause: reason }));
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    const replyWaiter = this.replyWaiter;
    const handshakeWaiter = this.handshakeWaiter;
    this.replyWaiter = undefined;
    this.handshakeWaiter = undefined;
    replyWaiter?.reject(error);
    handshakeWaiter?.reject(error);
  }
}
