// A small SMTP server for the tests, on 127.0.0.1 and an ephemeral port: enough of RFC 5321 to receive
// what the notifier sends (EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), recording
// each envelope, the message as it came over the wire (dot-stuffed) and as it is meant (un-stuffed).
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, TLSSocket } from "node:tls";

export interface SmtpSinkOptions {
  /** AUTH mechanisms advertised in EHLO; default PLAIN and LOGIN; [] advertises no AUTH. */
  authMechanisms?: string[];
  /** When set, other credentials get 535. */
  credentials?: { user: string; password: string };
  /** Recipients answered with `rejectReply` (default a two-line 550). */
  rejectRecipients?: string[];
  rejectReply?: string[];
  /** Default 550. */
  rejectCode?: number;
  /** Certificate and key: advertises STARTTLS (or, with implicitTls, speaks TLS from the first byte). */
  tls?: { key: string; cert: string };
  implicitTls?: boolean;
  /** Accept connections and never say anything (for timeouts). */
  silent?: boolean;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message after un-stuffing, CRLF line ends, ending in CRLF. */
  data: string;
  /** The DATA lines exactly as received, before un-stuffing. */
  wireLines: string[];
  auth?: { mechanism: string; user: string; password: string };
  tls: boolean;
  ehloName: string;
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  /** Every command line received, in order (AUTH payloads included). */
  commands: string[];
  close(): Promise<void>;
}

const decode = (b64: string): string => Buffer.from(b64, "base64").toString("utf8");

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const mechanisms = options.authMechanisms ?? ["PLAIN", "LOGIN"];

  function serve(initial: Socket, startsSecure: boolean): void {
    let socket: Socket = initial;
    let secure = startsSecure;
    let buffered = "";
    let mode: "command" | "data" | "auth-plain" | "auth-login-user" | "auth-login-password" = "command";
    let loginUser = "";
    let auth: ReceivedMail["auth"];
    let ehloName = "";
    let envelope: { from: string; to: string[] } | undefined;
    let dataLines: string[] = [];
    sockets.add(initial);
    initial.on("close", () => sockets.delete(initial));
    initial.on("error", () => {});

    const send = (...lines: string[]): void => {
      socket.write(lines.join("\r\n") + "\r\n");
    };
    const credentialsOk = (user: string, password: string): boolean =>
      !options.credentials || (options.credentials.user === user && options.credentials.password === password);
    const finishAuth = (mechanism: string, user: string, password: string): void => {
      mode = "command";
      if (!credentialsOk(user, password)) return send("535 5.7.8 Authentication credentials invalid");
      auth = { mechanism, user, password };
      send("235 2.7.0 Authentication successful");
    };

    const onLine = (line: string): void => {
      if (mode === "data") {
        if (line === ".") {
          mode = "command";
          const data = dataLines.map((l) => (l.startsWith(".") ? l.slice(1) : l)).join("\r\n") + "\r\n";
          messages.push({ from: envelope?.from ?? "", to: envelope?.to ?? [], data, wireLines: dataLines, tls: secure, ehloName, ...(auth ? { auth } : {}) });
          envelope = undefined;
          dataLines = [];
          return send("250 2.0.0 Ok: queued");
        }
        dataLines.push(line);
        return;
      }
      commands.push(line);
      if (mode === "auth-plain") {
        const [, user = "", password = ""] = decode(line).split("\0");
        return finishAuth("PLAIN", user, password);
      }
      if (mode === "auth-login-user") {
        loginUser = decode(line);
        mode = "auth-login-password";
        return send("334 UGFzc3dvcmQ6");
      }
      if (mode === "auth-login-password") return finishAuth("LOGIN", loginUser, decode(line));
      const verb = line.split(" ", 1)[0]!.toUpperCase();
      const rest = line.slice(verb.length).trim();
      switch (verb) {
        case "EHLO": {
          ehloName = rest;
          const lines = ["sink.test greets you", "PIPELINING", "8BITMIME"];
          if (options.tls && !secure && !options.implicitTls) lines.push("STARTTLS");
          if (mechanisms.length > 0) lines.push(`AUTH ${mechanisms.join(" ")}`);
          lines.push("SIZE 10240000");
          return send(...lines.map((text, i) => `250${i === lines.length - 1 ? " " : "-"}${text}`));
        }
        case "HELO":
          ehloName = rest;
          return send("250 sink.test");
        case "STARTTLS": {
          if (!options.tls || secure) return send("502 5.5.1 STARTTLS not available");
          socket.write("220 2.0.0 Ready to start TLS\r\n", () => {
            socket.off("data", onData);
            const secured = new TLSSocket(socket, { isServer: true, key: options.tls!.key, cert: options.tls!.cert });
            secured.on("error", () => {});
            secured.setEncoding("utf8");
            secured.on("data", onData);
            socket = secured;
            secure = true;
            buffered = "";
            // RFC 3207: everything known before TLS is forgotten.
            auth = undefined;
            envelope = undefined;
          });
          return;
        }
        case "AUTH": {
          const [mechanism = "", initial] = rest.split(" ");
          if (!mechanisms.includes(mechanism.toUpperCase())) return send("504 5.5.4 Unrecognized authentication type");
          if (mechanism.toUpperCase() === "PLAIN") {
            if (initial === undefined) {
              mode = "auth-plain";
              return send("334 ");
            }
            const [, user = "", password = ""] = decode(initial).split("\0");
            return finishAuth("PLAIN", user, password);
          }
          mode = "auth-login-user";
          return send("334 VXNlcm5hbWU6");
        }
        case "MAIL": {
          const match = /^FROM:\s*<([^>]*)>/i.exec(rest);
          if (!match) return send("501 5.5.4 Syntax: MAIL FROM:<address>");
          envelope = { from: match[1]!, to: [] };
          return send("250 2.1.0 Ok");
        }
        case "RCPT": {
          const match = /^TO:\s*<([^>]*)>/i.exec(rest);
          if (!envelope) return send("503 5.5.1 Error: need MAIL command");
          if (!match) return send("501 5.5.4 Syntax: RCPT TO:<address>");
          if (options.rejectRecipients?.includes(match[1]!)) {
            const reply = options.rejectReply ?? [`5.1.1 <${match[1]}>: Recipient address rejected:`, "User unknown in local recipient table"];
            const code = options.rejectCode ?? 550;
            return send(...reply.map((text, i) => `${code}${i === reply.length - 1 ? " " : "-"}${text}`));
          }
          envelope.to.push(match[1]!);
          return send("250 2.1.5 Ok");
        }
        case "DATA":
          if (!envelope || envelope.to.length === 0) return send("503 5.5.1 Error: need RCPT command");
          mode = "data";
          return send("354 End data with <CR><LF>.<CR><LF>");
        case "RSET":
          envelope = undefined;
          return send("250 2.0.0 Ok");
        case "NOOP":
          return send("250 2.0.0 Ok");
        case "QUIT":
          send("221 2.0.0 Bye");
          socket.end();
          return;
        default:
          return send("502 5.5.2 Error: command not recognized");
      }
    };

    const onData = (chunk: string): void => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\r\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 2);
        onLine(line);
      }
    };

    socket.setEncoding("utf8");
    socket.on("data", onData);
    if (!options.silent) send("220 sink.test ESMTP weir test sink");
  }

  const server: Server =
    options.implicitTls && options.tls
      ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, (socket) => serve(socket, true))
      : createNetServer((socket) => serve(socket, false));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The headers of a received message (unfolded) and its body, with quoted-printable decoded when declared. */
export function parseMessage(data: string): { headers: Map<string, string>; body: string; rawBody: string } {
  const split = data.indexOf("\r\n\r\n");
  const head = data.slice(0, split).replace(/\r\n[ \t]/g, " ");
  const rawBody = data.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = /quoted-printable/i.test(headers.get("content-transfer-encoding") ?? "") ? decodeQuotedPrintable(rawBody) : rawBody;
  return { headers, body, rawBody };
}

export function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const char = joined[i]!;
    if (char === "=" && /^[0-9A-F]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
