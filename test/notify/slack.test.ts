// The Slack-compatible notifier against a real local HTTP server: a readable one-line `text`, escaped
// user text, the link, optional channel/username, and its errors.
import { afterEach, describe, expect, it } from "vitest";
import { createNotifier, deliver } from "../../src/notify/index.js";
import { recordingSleep, sampleNotification } from "./fixtures.js";
import { startHttpReceiver, type HttpReceiver } from "./http-receiver.js";

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function slackReceiver(status = 200, body = "ok"): Promise<HttpReceiver> {
  receiver = await startHttpReceiver(() => ({ status, body }));
  return receiver;
}

describe("slack notifier", () => {
  it("posts a one-line text with the run link, plus blocks, as JSON", async () => {
    const server = await slackReceiver();
    await createNotifier({ type: "slack", url: `${server.url}/services/T0/B0/XXXX` }).send(sampleNotification());
    const request = server.requests[0]!;
    expect(request.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(request.body) as { text: string; blocks: unknown[]; channel?: string };
    expect(body.text).toBe(
      ":x: etl_daily · run manual_2025-09-03T10-00-00_ab12: task load failed on try 3 — Error: connection refused by warehouse · <http://weir.example/runs/manual_2025-09-03T10-00-00_ab12|open run>",
    );
    expect(body.text).not.toContain("\n");
    expect(body.blocks.length).toBeGreaterThan(0);
    expect(body.channel).toBeUndefined();
  });

  it("says what a run failure was, and which task caused it", async () => {
    const server = await slackReceiver();
    await createNotifier({ type: "slack", url: server.url }).send(sampleNotification({ kind: "run_failed", tryNumber: undefined, link: undefined }));
    expect((JSON.parse(server.requests[0]!.body) as { text: string }).text).toBe(
      ":x: etl_daily · run manual_2025-09-03T10-00-00_ab12 failed — task load: Error: connection refused by warehouse",
    );
  });

  it("escapes Slack's control characters in user text, keeps the first line of the error in the text and the rest in a block", async () => {
    const server = await slackReceiver();
    const error = { name: "TypeError", message: "expected <Row> & got <null>\n    at load (etl.ts:3)" };
    await createNotifier({ type: "slack", url: server.url, channel: "#alerts", username: "weir" }).send(sampleNotification({ error }));
    const body = JSON.parse(server.requests[0]!.body) as { text: string; blocks: Array<{ text?: { text: string } }>; channel: string; username: string };
    expect(body.text).toContain("TypeError: expected &lt;Row&gt; &amp; got &lt;null&gt; ·");
    expect(body.text).not.toContain("at load");
    expect(JSON.stringify(body.blocks)).toContain("at load (etl.ts:3)");
    expect(body.channel).toBe("#alerts");
    expect(body.username).toBe("weir");
  });

  it("fails with Slack's own reason on a 4xx, and deliver does not retry it", async () => {
    const server = await slackReceiver(403, "invalid_token");
    const { sleep, waits } = recordingSleep();
    const result = await deliver(createNotifier({ type: "slack", url: `${server.url}/services/T0/B0/SECRET` }), sampleNotification(), { sleep });
    expect(result).toEqual({ ok: false, attempts: 1, error: `Slack webhook POST to ${server.url} answered HTTP 403 Forbidden: invalid_token` });
    expect(waits).toEqual([]);
  });
});
