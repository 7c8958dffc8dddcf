// Notifier configuration from the environment and from weir.config.ts: every documented form, and a
// clear `notifier_invalid` message (naming the variable or key, never a secret) for each mistake.
import { describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import { createNotifier, createNotifiers, parseNotifierConfigs, type NotifierConfig } from "../../src/notify/index.js";

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WeirError);
    expect((error as WeirError).code).toBe("notifier_invalid");
    expect((error as WeirError).isInputError).toBe(true);
    return (error as WeirError).message;
  }
  throw new Error("expected a notifier_invalid error");
}

const env = (value: string): Record<string, string> => ({ WEIR_NOTIFIER_OPS: value });

describe("parseNotifierConfigs from the environment", () => {
  it("reads every documented form by lower-case name, and ignores other variables and empty values", () => {
    const configs = parseNotifierConfigs({
      env: {
        PATH: "/usr/bin",
        WEIR_HOME: ".weir",
        WEIR_NOTIFIER_HOOK: "webhook:https://hooks.example.com/weir?token=abc",
        WEIR_NOTIFIER_TEAM_CHAT: "slack:https://hooks.slack.com/services/T0/B0/XXX",
        WEIR_NOTIFIER_MAIL: "smtp://alerts:p%40ss@mail.example.com?from=weir@example.com&to=ops@example.com,data@example.com&starttls=1",
        WEIR_NOTIFIER_MAILS: "smtps://mail.example.com?from=weir@example.com&to=ops@example.com&timeout_ms=5000",
        WEIR_NOTIFIER_LOCAL: "smtp://127.0.0.1:2525?from=weir@localhost.localdomain&to=me@localhost.localdomain",
        WEIR_NOTIFIER_JSON: '{"type":"webhook","url":"https://x.example/h","headers":{"Authorization":"Bearer t"}}',
        WEIR_NOTIFIER_OFF: "",
      },
    });
    expect(Object.fromEntries(configs)).toEqual({
      hook: { type: "webhook", url: "https://hooks.example.com/weir?token=abc" },
      team_chat: { type: "slack", url: "https://hooks.slack.com/services/T0/B0/XXX" },
      mail: {
        type: "email", host: "mail.example.com", port: 587, starttls: true, user: "alerts", password: "p@ss",
        from: "weir@example.com", to: ["ops@example.com", "data@example.com"],
      },
      mails: { type: "email", host: "mail.example.com", port: 465, secure: true, from: "weir@example.com", to: ["ops@example.com"], timeoutMs: 5000 },
      local: { type: "email", host: "127.0.0.1", port: 2525, from: "weir@localhost.localdomain", to: ["me@localhost.localdomain"] },
      json: { type: "webhook", url: "https://x.example/h", headers: { Authorization: "Bearer t" } },
    } satisfies Record<string, NotifierConfig>);
  });

  it("lets the environment override weir.config.ts for the same name", () => {
    const configs = parseNotifierConfigs({
      config: { ops: { type: "slack", url: "https://chat.example/a" }, hook: "webhook:https://x.example/h" },
      env: env("slack:https://chat.example/b"),
    });
    expect(configs.get("ops")).toEqual({ type: "slack", url: "https://chat.example/b" });
    expect(configs.get("hook")).toEqual({ type: "webhook", url: "https://x.example/h" });
  });

  it.each([
    ["pager:https://x.example", "WEIR_NOTIFIER_OPS: expected webhook:<url>, slack:<url>, smtp://…, smtps://… or a JSON object"],
    ["webhook:ftp://x.example/secret", "WEIR_NOTIFIER_OPS: url must be http:// or https://, not ftp://"],
    ["webhook:not a url secret", "WEIR_NOTIFIER_OPS: url is not a valid URL"],
    ["smtp://mail.example.com?to=ops@example.com", "WEIR_NOTIFIER_OPS: the smtp URL needs from=<address>"],
    ["smtp://mail.example.com?from=weir@example.com", "WEIR_NOTIFIER_OPS: the smtp URL needs to=<address>[,<address>…]"],
    ["smtp://mail.example.com?from=weir@example.com&to=ops@example.com&statttls=1", 'WEIR_NOTIFIER_OPS: unknown smtp URL parameter "statttls" (known: from, to, starttls, timeout_ms)'],
    ["smtp://mail.example.com?from=weir@example.com&to=ops@example.com&starttls=maybe", "WEIR_NOTIFIER_OPS: starttls must be 1 or 0"],
    ["smtp://mail.example.com?from=weir&to=ops@example.com", "WEIR_NOTIFIER_OPS: from must be an email address (a@example.com or Name <a@example.com>)"],
    ["smtp://mail.example.com?from=weir@example.com&to=ops@example.com,<evil>", 'WEIR_NOTIFIER_OPS: to: "<evil>" is not an email address'],
    ["smtp://mail.example.com:99999?from=weir@example.com&to=ops@example.com", "WEIR_NOTIFIER_OPS: not a valid smtp:// URL"],
    [
      "smtp://alerts:hunter2@mail.example.com?from=weir@example.com&to=ops@example.com",
      "WEIR_NOTIFIER_OPS: refusing to send the SMTP password to mail.example.com in clear text: use smtps:// (secure: true) or starttls=1",
    ],
    ['{"type":"webhook",', "WEIR_NOTIFIER_OPS: not valid JSON ("],
    ['{"type":"webhook","url":"https://x.example","header":{}}', 'WEIR_NOTIFIER_OPS: unknown key "header" for a webhook notifier (known: type, url, headers, timeoutMs)'],
  ])("rejects %s", (value, expected) => {
    const message = invalidMessage(() => parseNotifierConfigs({ env: env(value) }));
    expect(message.startsWith(expected)).toBe(true);
    expect(message).not.toContain("secret");
    expect(message).not.toContain("hunter2");
  });

  it("rejects a name that is not letters, digits and _", () => {
    expect(invalidMessage(() => parseNotifierConfigs({ env: { "WEIR_NOTIFIER_A.B": "webhook:https://x.example" } }))).toBe(
      "WEIR_NOTIFIER_A.B: a notifier name is letters, digits and _, at most 64",
    );
  });
});

describe("parseNotifierConfigs from weir.config.ts", () => {
  it("accepts objects with defaults filled, and spec strings", () => {
    const configs = parseNotifierConfigs({
      config: {
        Mail: { type: "email", host: "mail.example.com", secure: true, user: "u", password: "p", from: "Weir <weir@example.com>", to: ["ops@example.com"] },
        chat: { type: "slack", url: "https://chat.example/hook", channel: "#alerts", timeoutMs: 3000 },
      },
    });
    expect(configs.get("mail")).toEqual({ type: "email", host: "mail.example.com", port: 465, secure: true, user: "u", password: "p", from: "Weir <weir@example.com>", to: ["ops@example.com"] });
    expect(configs.get("chat")).toEqual({ type: "slack", url: "https://chat.example/hook", channel: "#alerts", timeoutMs: 3000 });
  });

  it.each<[unknown, string]>([
    [42, "notifiers.ops: a notifier is an object with a type (webhook, slack or email) or a spec string"],
    [{ type: "sms" }, 'notifiers.ops: type must be "webhook", "slack" or "email"'],
    [{ type: "webhook" }, "notifiers.ops: url is required"],
    [{ type: "webhook", url: "https://x.example", headers: { "Bad Name": "x" } }, 'notifiers.ops: header name "Bad Name" is not a valid HTTP header name'],
    [{ type: "webhook", url: "https://x.example", headers: { "X-A": "a\r\nInjected: 1" } }, "notifiers.ops: header X-A must be a single-line string"],
    [{ type: "webhook", url: "https://x.example", timeoutMs: 0 }, "notifiers.ops: timeoutMs must be a whole number of milliseconds between 1 and 600000"],
    [{ type: "email", host: "m.example", secure: true, starttls: true, from: "a@example.com", to: ["b@example.com"] }, "notifiers.ops: secure (implicit TLS, smtps://) and starttls exclude each other"],
    [{ type: "email", host: "m.example", from: "a@example.com", to: [] }, "notifiers.ops: to must list at least one email address"],
    [{ type: "email", host: "m.example", from: "a@example.com\r\nBcc: x@evil.example", to: ["b@example.com"] }, "notifiers.ops: from must be an email address (a@example.com or Name <a@example.com>)"],
    [{ type: "email", host: "m.example", starttls: true, user: "u", from: "a@example.com", to: ["b@example.com"] }, "notifiers.ops: user and password go together, both strings"],
  ])("rejects %j", (value, expected) => {
    expect(invalidMessage(() => parseNotifierConfigs({ config: { ops: value } }))).toBe(expected);
  });

  it("rejects the same name twice in different case", () => {
    expect(
      invalidMessage(() => parseNotifierConfigs({ config: { ops: "webhook:https://x.example", OPS: "webhook:https://y.example" } })),
    ).toBe('notifiers.OPS: notifier "ops" is defined twice (names are case-insensitive)');
  });
});

describe("createNotifier", () => {
  it("makes a notifier of each type and checks the config first", () => {
    const configs = parseNotifierConfigs({
      env: {
        WEIR_NOTIFIER_A: "webhook:https://x.example/h",
        WEIR_NOTIFIER_B: "slack:https://x.example/s",
        WEIR_NOTIFIER_C: "smtp://127.0.0.1?from=a@example.com&to=b@example.com",
      },
    });
    const notifiers = createNotifiers(configs);
    expect([...notifiers.keys()]).toEqual(["a", "b", "c"]);
    for (const notifier of notifiers.values()) expect(typeof notifier.send).toBe("function");
    expect(invalidMessage(() => createNotifier({ type: "webhook", url: "mailto:x@example.com" }))).toBe("notifier: url must be http:// or https://, not mailto://");
  });
});
