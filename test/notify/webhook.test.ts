// The webhook notifier against a real local HTTP server: the body and headers it posts, its errors, its
// timeout, and deliver()'s retries around it.
import { afterEach, describe, expect, it } from "vitest";
import { createNotifier, deliver, NotificationSendError } from "../../src/notify/index.js";
import { recordingSleep, sampleNotification } from "./fixtures.js";
import { startHttpReceiver, type Answer, type HttpReceiver } from "./http-receiver.js";

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function receiverAnswering(...answers: Answer[]): Promise<HttpReceiver> {
  receiver = await startHttpReceiver((_req, i) => answers[Math.min(i, answers.length - 1)]!);
  return receiver;
}

describe("webhook notifier", () => {
  it("posts the JSON document with content-type application/json and the configured headers", async () => {
    const server = await receiverAnswering({ status: 204 });
    const notifier = createNotifier({ type: "webhook", url: `${server.url}/hooks/weir?token=s3cret`, headers: { Authorization: "Bearer abc" } });
    await notifier.send(sampleNotification({ mapIndex: 2 }));
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/hooks/weir?token=s3cret");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers.authorization).toBe("Bearer abc");
    expect(JSON.parse(request!.body)).toEqual({
      event: "task_failed",
      pipeline: "etl_daily",
      run: "manual_2025-09-03T10-00-00_ab12",
      task: "load",
      mapIndex: 2,
      try: 3,
      error: { name: "Error", message: "connection refused by warehouse" },
      logicalDate: "2025-09-03T00:00:00.000Z",
      link: "http://weir.example/runs/manual_2025-09-03T10-00-00_ab12",
      at: "2025-09-03T10:05:00.000Z",
    });
  });

  it("sends every key, null where it does not apply", async () => {
    const server = await receiverAnswering({ status: 200 });
    const { taskId: _t, tryNumber: _n, error: _e, link: _l, ...runLevel } = sampleNotification({ kind: "run_success" });
    await createNotifier({ type: "webhook", url: server.url }).send(runLevel);
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ event: "run_success", task: null, mapIndex: null, try: null, error: null, link: null });
  });

  it("fails on a non-2xx answer with the status, the answer's text, and no secret from the URL", async () => {
    const server = await receiverAnswering({ status: 503, body: "warehouse alerts paused" });
    const error = await createNotifier({ type: "webhook", url: `${server.url}/hooks/s3cret-path?token=s3cret` })
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationSendError);
    expect((error as NotificationSendError).message).toBe(`webhook POST to ${server.url} answered HTTP 503 Service Unavailable: warehouse alerts paused`);
    expect((error as NotificationSendError).message).not.toContain("s3cret");
    expect((error as NotificationSendError).retryable).toBe(true);
  });

  it("times out when the server never answers", async () => {
    const server = await receiverAnswering("hang");
    const error = await createNotifier({ type: "webhook", url: server.url, timeoutMs: 200 })
      .send(sampleNotification())
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(`webhook POST to ${server.url} timed out after 200 ms`);
    expect(server.requests).toHaveLength(1);
  });

  it("reports a refused connection", async () => {
    const server = await receiverAnswering({ status: 200 });
    const url = server.url;
    await server.close();
    receiver = undefined;
    const error = await createNotifier({ type: "webhook", url }).send(sampleNotification()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`^webhook POST to ${url} failed: .*ECONNREFUSED`));
  });
});

describe("deliver over a real webhook", () => {
  it("retries a 500 and delivers on the next try, after the first backoff step", async () => {
    const server = await receiverAnswering({ status: 500, body: "oops" }, { status: 200 });
    const { sleep, waits } = recordingSleep();
    const result = await deliver(createNotifier({ type: "webhook", url: server.url }), sampleNotification(), { sleep });
    expect(result).toEqual({ ok: true, attempts: 2 });
    expect(waits).toEqual([500]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body).toBe(server.requests[0]!.body);
  });

  it("gives up after 3 tries of an always-500 receiver, without throwing", async () => {
    const server = await receiverAnswering({ status: 500, body: "down" });
    const { sleep, waits } = recordingSleep();
    const result = await deliver(createNotifier({ type: "webhook", url: server.url }), sampleNotification(), { sleep });
    expect(result).toEqual({ ok: false, attempts: 3, error: `webhook POST to ${server.url} answered HTTP 500 Internal Server Error: down` });
    expect(waits).toEqual([500, 2000]);
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry an answer that will not change (404), but does retry 429", async () => {
    const notFound = await receiverAnswering({ status: 404 });
    const first = await deliver(createNotifier({ type: "webhook", url: notFound.url }), sampleNotification(), { sleep: recordingSleep().sleep });
    expect(first).toMatchObject({ ok: false, attempts: 1 });
    await notFound.close();
    const busy = await receiverAnswering({ status: 429 }, { status: 200 });
    const second = await deliver(createNotifier({ type: "webhook", url: busy.url }), sampleNotification(), { sleep: recordingSleep().sleep });
    expect(second).toEqual({ ok: true, attempts: 2 });
  });

  it("retries a hanging receiver after its timeout and resolves ok: false", async () => {
    const server = await receiverAnswering("hang");
    const result = await deliver(createNotifier({ type: "webhook", url: server.url, timeoutMs: 100 }), sampleNotification(), { sleep: recordingSleep().sleep });
    expect(result).toEqual({ ok: false, attempts: 3, error: `webhook POST to ${server.url} timed out after 100 ms` });
    expect(server.requests).toHaveLength(3);
  });
});
