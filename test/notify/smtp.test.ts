// The SMTP notifier against the test sink on 127.0.0.1: envelope, headers, body, dot-stuffing, AUTH,
// refusals with their reply codes, multi-line replies, and timeouts.
import { afterEach, describe, expect, it } from "vitest";
import { createNotifier, deliver, NotificationSendError, type EmailNotifierConfig } from "../../src/notify/index.js";
import { createSmtpNotifier } from "../../src/notify/smtp.js";
import { recordingSleep, sampleNotification } from "./fixtures.js";
import { parseMessage, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from "./smtp-sink.js";

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function openSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  sink = await startSmtpSink(options);
  return sink;
}

function emailConfig(port: number, overrides: Partial<EmailNotifierConfig> = {}): EmailNotifierConfig {
  return { type: "email", host: "127.0.0.1", port, from: "Weir <weir@example.com>", to: ["ops@example.com", "data@example.com"], ...overrides };
}

describe("smtp notifier", () => {
  it("delivers one message: envelope, headers, and a quoted-printable UTF-8 body", async () => {
    const server = await openSink();
    const notifier = createSmtpNotifier(emailConfig(server.port), { now: () => new Date("2025-09-03T10:05:07Z") });
    await notifier.send(sampleNotification({ error: { name: "Error", message: "Zürich warehouse said no = 42" } }));

    expect(server.messages).toHaveLength(1);
    const mail = server.messages[0]!;
    expect(mail.from).toBe("weir@example.com");
    expect(mail.to).toEqual(["ops@example.com", "data@example.com"]);
    expect(mail.auth).toBeUndefined();
    expect(server.commands.at(-1)).toBe("QUIT");

    const { headers, body } = parseMessage(mail.data);
    expect(headers.get("from")).toBe(`"Weir" <weir@example.com>`);
    expect(headers.get("to")).toBe("ops@example.com, data@example.com");
    expect(headers.get("subject")).toBe("[weir] etl_daily failed: task load (run manual_2025-09-03T10-00-00_ab12)");
    expect(headers.get("date")).toBe("Wed, 03 Sep 2025 10:05:07 +0000");
    expect(headers.get("message-id")).toMatch(/^<[0-9a-f-]{36}@example\.com>$/);
    expect(headers.get("mime-version")).toBe("1.0");
    expect(headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(headers.get("content-transfer-encoding")).toBe("quoted-printable");
    expect(headers.get("x-weir-event")).toBe("task_failed");
    expect(body).toContain("etl_daily · run manual_2025-09-03T10-00-00_ab12: task load failed on try 3 — Error: Zürich warehouse said no = 42");
    expect(body).toContain("Link:         http://weir.example/runs/manual_2025-09-03T10-00-00_ab12");
    expect(body).toContain("Logical date: 2025-09-03T00:00:00.000Z");
    // Every line on the wire is 7-bit and at most 76 characters in the body.
    for (const line of mail.wireLines) expect(line).toMatch(/^[\x20-\x7e\t]*$/);
  });

  it("dot-stuffs lines that start with '.', so a lone '.' in an error does not end DATA early", async () => {
    const server = await openSink();
    const message = "first line\n.\n.hidden file missing\n..two dots\nlast line";
    await createNotifier(emailConfig(server.port)).send(sampleNotification({ error: { name: "Error", message } }));

    const mail = server.messages[0]!;
    expect(mail.wireLines).toContain("..");
    expect(mail.wireLines).toContain("..hidden file missing");
    expect(mail.wireLines).toContain("...two dots");
    const { body } = parseMessage(mail.data);
    expect(body).toContain("Error: first line\r\n.\r\n.hidden file missing\r\n..two dots\r\nlast line");
  });

  it("authenticates with AUTH PLAIN when offered", async () => {
    const server = await openSink({ credentials: { user: "alerts", password: "pa:ss wörd" } });
    await createNotifier(emailConfig(server.port, { user: "alerts", password: "pa:ss wörd" })).send(sampleNotification());
    expect(server.messages[0]!.auth).toEqual({ mechanism: "PLAIN", user: "alerts", password: "pa:ss wörd" });
    expect(server.commands.find((c) => c.startsWith("AUTH"))).toMatch(/^AUTH PLAIN \S+$/);
  });

  it("falls back to AUTH LOGIN when that is all the server offers", async () => {
    const server = await openSink({ authMechanisms: ["LOGIN"], credentials: { user: "alerts", password: "secret" } });
    await createNotifier(emailConfig(server.port, { user: "alerts", password: "secret" })).send(sampleNotification());
    expect(server.messages[0]!.auth).toEqual({ mechanism: "LOGIN", user: "alerts", password: "secret" });
  });

  it("names the code and the step when the server refuses the credentials, without the password", async () => {
    const server = await openSink({ credentials: { user: "alerts", password: "right" } });
    const error = await createNotifier(emailConfig(server.port, { user: "alerts", password: "wrong-password" }))
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("SMTP 535 after AUTH PLAIN: 5.7.8 Authentication credentials invalid");
    expect((error as Error).message).not.toContain("wrong-password");
    expect(server.messages).toHaveLength(0);
  });

  it("fails a rejected recipient with the reply code, the recipient, and every line of a multi-line reply", async () => {
    const server = await openSink({ rejectRecipients: ["data@example.com"] });
    const error = await createNotifier(emailConfig(server.port))
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationSendError);
    expect((error as NotificationSendError).message).toBe(
      "SMTP 550 after RCPT TO <data@example.com>: 5.1.1 <data@example.com>: Recipient address rejected: User unknown in local recipient table",
    );
    expect((error as NotificationSendError).retryable).toBe(false);
    expect(server.messages).toHaveLength(0);
  });

  it("deliver() does not retry a permanent 5xx refusal but does retry a 4xx one", async () => {
    const permanent = await openSink({ rejectRecipients: ["ops@example.com"] });
    const first = await deliver(createNotifier(emailConfig(permanent.port)), sampleNotification(), { sleep: recordingSleep().sleep });
    expect(first).toMatchObject({ ok: false, attempts: 1 });
    await permanent.close();

    const transient = await openSink({ rejectRecipients: ["ops@example.com"], rejectCode: 450, rejectReply: ["4.7.1 Greylisted, try again later"] });
    const second = await deliver(createNotifier(emailConfig(transient.port)), sampleNotification(), { sleep: recordingSleep().sleep });
    expect(second).toEqual({ ok: false, attempts: 3, error: "SMTP 450 after RCPT TO <ops@example.com>: 4.7.1 Greylisted, try again later" });
  });

  it("times out when the server never greets", async () => {
    const server = await openSink({ silent: true });
    const error = await createNotifier(emailConfig(server.port, { timeoutMs: 200 }))
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(`SMTP timed out after 200 ms waiting for the greeting from 127.0.0.1:${server.port}`);
  });

  it("reports a refused connection", async () => {
    const server = await openSink();
    const port = server.port;
    await server.close();
    sink = undefined;
    const error = await createNotifier(emailConfig(port)).send(sampleNotification()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`^SMTP connection to 127\\.0\\.0\\.1:${port} failed while waiting for the greeting: .*ECONNREFUSED`));
  });

  it("refuses to go on when STARTTLS is required but not offered", async () => {
    const server = await openSink();
    const error = await createNotifier(emailConfig(server.port, { starttls: true }))
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(`SMTP server 127.0.0.1:${server.port} does not offer STARTTLS, and starttls is required`);
    expect(server.commands).not.toContain("MAIL FROM:<weir@example.com>");
  });
});
