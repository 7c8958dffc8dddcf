// SMTP over TLS against the test sink with a throwaway self-signed certificate (made by the openssl CLI;
// skipped, with a note, when openssl is missing): STARTTLS, implicit TLS, and refusing an untrusted certificate.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNotifier, type EmailNotifierConfig } from "../../src/notify/index.js";
import { sampleNotification } from "./fixtures.js";
import { parseMessage, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from "./smtp-sink.js";
import { makeSelfSignedCert } from "./tls-cert.js";

const cert = makeSelfSignedCert();
if (!cert) console.warn("smtp-tls tests skipped: the openssl CLI is not available to make a test certificate");

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function openSink(options: SmtpSinkOptions): Promise<SmtpSink> {
  sink = await startSmtpSink(options);
  return sink;
}

describe.skipIf(!cert)("smtp notifier over TLS", () => {
  let tls: { key: string; cert: string };
  beforeAll(() => {
    tls = cert!;
  });

  function config(port: number, overrides: Partial<EmailNotifierConfig>): EmailNotifierConfig {
    return { type: "email", host: "127.0.0.1", port, from: "weir@example.com", to: ["ops@example.com"], tls: { ca: tls.cert }, ...overrides };
  }

  it("upgrades with STARTTLS, says EHLO again, then authenticates and delivers inside TLS", async () => {
    const server = await openSink({ tls, credentials: { user: "alerts", password: "secret" } });
    await createNotifier(config(server.port, { starttls: true, user: "alerts", password: "secret" })).send(sampleNotification());
    const mail = server.messages[0]!;
    expect(mail.tls).toBe(true);
    expect(mail.auth).toEqual({ mechanism: "PLAIN", user: "alerts", password: "secret" });
    expect(server.commands.filter((c) => c.startsWith("EHLO"))).toHaveLength(2);
    expect(server.commands.indexOf("STARTTLS")).toBeLessThan(server.commands.findIndex((c) => c.startsWith("AUTH")));
    expect(parseMessage(mail.data).headers.get("subject")).toBe("[weir] etl_daily failed: task load (run manual_2025-09-03T10-00-00_ab12)");
  });

  it("speaks TLS from the first byte with secure (smtps)", async () => {
    const server = await openSink({ tls, implicitTls: true });
    await createNotifier(config(server.port, { secure: true })).send(sampleNotification());
    expect(server.messages[0]!.tls).toBe(true);
    expect(server.commands).not.toContain("STARTTLS");
  });

  it("refuses a certificate it does not trust, before sending anything in the envelope", async () => {
    const server = await openSink({ tls });
    const error = await createNotifier(config(server.port, { starttls: true, tls: {} }))
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`^SMTP TLS handshake with 127\\.0\\.0\\.1:${server.port} failed: .*self[- ]signed certificate`));
    expect(server.messages).toHaveLength(0);
    expect(server.commands.some((c) => c.startsWith("MAIL"))).toBe(false);
  });
});
