// The message format on its own: quoted-printable, RFC 2047 header words, dot-stuffing, addresses.
import { describe, expect, it } from "vitest";
import { composeEmail, dotStuff, encodeHeaderWords, encodeQuotedPrintable, parseMailbox } from "../../src/notify/email-message.js";
import { decodeQuotedPrintable, parseMessage } from "./smtp-sink.js";

describe("quoted-printable", () => {
  it("round-trips any text with lines of at most 76 characters, 7-bit only", () => {
    const texts = ["plain", "a = b", "trailing space ", "tab\t", "é".repeat(100), "x".repeat(300), `mixed ${"€ ab=".repeat(40)} end`, "", "line1\nline2\r\nline3"];
    for (const text of texts) {
      const encoded = encodeQuotedPrintable(text);
      for (const line of encoded.split("\r\n")) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).toMatch(/^[\x20-\x7e\t]*$/);
        expect(line).not.toMatch(/[ \t]$/);
      }
      expect(decodeQuotedPrintable(encoded)).toBe(text.replace(/\r?\n/g, "\r\n"));
    }
  });
});

describe("headers", () => {
  it("keeps ASCII as is and encodes anything else in words of at most 75 characters", () => {
    expect(encodeHeaderWords("[weir] etl failed")).toBe("[weir] etl failed");
    const encoded = encodeHeaderWords("Fehler in Zürich: ".repeat(6));
    for (const word of encoded.split("\r\n ")) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
    }
    const decoded = encoded.split("\r\n ").map((w) => Buffer.from(w.slice(10, -2), "base64").toString("utf8")).join("");
    expect(decoded).toBe("Fehler in Zürich: ".repeat(6));
  });

  it("parses addresses and refuses anything that could break out of <…> or a header", () => {
    expect(parseMailbox("a@example.com")).toEqual({ address: "a@example.com" });
    expect(parseMailbox("Weir Alerts <a@example.com>")).toEqual({ address: "a@example.com", displayName: "Weir Alerts" });
    expect(parseMailbox('"Ops, Team" <a@example.com>')).toEqual({ address: "a@example.com", displayName: "Ops, Team" });
    for (const bad of ["a", "a@", "@b", "a b@c", "a@b>", "<a@b> x", "a@b\r\nRCPT TO:<x@y>", "x\n <a@b>", "a..b@c"]) expect(parseMailbox(bad)).toBeUndefined();
  });

  it("composes a message whose display names are quoted or encoded", () => {
    const message = composeEmail({
      from: { address: "weir@example.com", displayName: "Wéir" },
      to: [{ address: "a@example.com", displayName: 'Ops "Team"' }, { address: "b@example.com" }],
      subject: "s",
      text: "body",
      date: new Date(Date.UTC(2025, 0, 5, 3, 4, 5)),
      messageId: "<m@example.com>",
    });
    const { headers, body } = parseMessage(message);
    expect(headers.get("from")).toBe("=?UTF-8?B?V8OpaXI=?= <weir@example.com>");
    expect(headers.get("to")).toBe('"Ops \\"Team\\"" <a@example.com>, b@example.com');
    expect(headers.get("date")).toBe("Sun, 05 Jan 2025 03:04:05 +0000");
    expect(body).toBe("body\r\n");
  });
});

describe("dotStuff", () => {
  it("doubles a leading dot on every line, normalizes line ends, ends with CRLF", () => {
    expect(dotStuff(".a\nb\r.c\r\n..d\r\n")).toBe("..a\r\nb\r\n..c\r\n...d\r\n");
    expect(dotStuff("no dots")).toBe("no dots\r\n");
    expect(dotStuff(".")).toBe("..\r\n");
  });
});
