// deliver() with notifiers written in the test: it never throws, follows the backoff schedule, stops on
// a failure that cannot pass, bounds a notifier that never settles, and stops when aborted.
import { describe, expect, it } from "vitest";
import { deliver, NotificationSendError, type Notifier } from "../../src/notify/index.js";
import { recordingSleep, sampleNotification } from "./fixtures.js";

function failingThen(failures: number, error: () => unknown = () => new Error("boom")): Notifier & { calls: number } {
  const notifier = {
    calls: 0,
    async send() {
      notifier.calls++;
      if (notifier.calls <= failures) throw error();
    },
  };
  return notifier;
}

describe("deliver", () => {
  it("delivers on the first try without sleeping", async () => {
    const { sleep, waits } = recordingSleep();
    expect(await deliver(failingThen(0), sampleNotification(), { sleep })).toEqual({ ok: true, attempts: 1 });
    expect(waits).toEqual([]);
  });

  it("follows the backoff schedule, repeating its last step", async () => {
    const { sleep, waits } = recordingSleep();
    const notifier = failingThen(10);
    const result = await deliver(notifier, sampleNotification(), { sleep, attempts: 5 });
    expect(result).toEqual({ ok: false, attempts: 5, error: "boom" });
    expect(waits).toEqual([500, 2000, 5000, 5000]);
    expect(notifier.calls).toBe(5);
  });

  it("takes a custom schedule and attempt count", async () => {
    const { sleep, waits } = recordingSleep();
    expect(await deliver(failingThen(1), sampleNotification(), { sleep, attempts: 2, backoffMs: [7] })).toEqual({ ok: true, attempts: 2 });
    expect(waits).toEqual([7]);
  });

  it("never throws: not for a synchronous throw, a thrown non-Error, or a notifier that returns nothing", async () => {
    const { sleep } = recordingSleep();
    const throwsSync: Notifier = {
      send() {
        throw new Error("sync boom");
      },
    };
    const throwsString: Notifier = {
      send() {
        return Promise.reject("a string");
      },
    };
    const returnsNothing = { send: () => undefined } as unknown as Notifier;
    expect(await deliver(throwsSync, sampleNotification(), { sleep })).toEqual({ ok: false, attempts: 3, error: "sync boom" });
    expect(await deliver(throwsString, sampleNotification(), { sleep })).toEqual({ ok: false, attempts: 3, error: "a string" });
    expect(await deliver(returnsNothing, sampleNotification(), { sleep })).toEqual({ ok: true, attempts: 1 });
    const brokenSleep = async (): Promise<void> => {
      throw new Error("sleep broke");
    };
    expect(await deliver(failingThen(5), sampleNotification(), { sleep: brokenSleep })).toMatchObject({ ok: false, attempts: 1 });
  });

  it("does not retry a failure marked not retryable", async () => {
    const { sleep, waits } = recordingSleep();
    const notifier = failingThen(5, () => new NotificationSendError("HTTP 404", { retryable: false }));
    expect(await deliver(notifier, sampleNotification(), { sleep })).toEqual({ ok: false, attempts: 1, error: "HTTP 404" });
    expect(waits).toEqual([]);
  });

  it("bounds a notifier that never settles, and passes it a signal that fires", async () => {
    const { sleep } = recordingSleep();
    const signals: AbortSignal[] = [];
    const hangs: Notifier = {
      send: (_n, signal) => {
        signals.push(signal!);
        return new Promise<void>(() => {});
      },
    };
    const result = await deliver(hangs, sampleNotification(), { sleep, attempts: 2, attemptTimeoutMs: 50 });
    expect(result).toEqual({ ok: false, attempts: 2, error: "notifier did not finish within 50 ms" });
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it("stops when its signal aborts, during a try or between tries", async () => {
    const controller = new AbortController();
    const abortsDuringSend: Notifier = {
      send: (_n, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal!.addEventListener("abort", () => reject(new Error("aborted inside")));
          controller.abort();
        }),
    };
    expect(await deliver(abortsDuringSend, sampleNotification(), { signal: controller.signal })).toEqual({ ok: false, attempts: 1, error: "delivery was aborted" });

    const between = new AbortController();
    const sleep = async (_ms: number, signal?: AbortSignal): Promise<void> => {
      between.abort();
      signal?.throwIfAborted();
    };
    expect(await deliver(failingThen(5), sampleNotification(), { sleep, signal: between.signal })).toEqual({
      ok: false,
      attempts: 1,
      error: "delivery was aborted after: boom",
    });
  });

  it("sleeps for real by default, and a pre-aborted signal makes no try", async () => {
    const controller = new AbortController();
    controller.abort();
    const notifier = failingThen(0);
    expect(await deliver(notifier, sampleNotification(), { signal: controller.signal })).toEqual({ ok: false, attempts: 0, error: "delivery was aborted" });
    expect(notifier.calls).toBe(0);
    expect(await deliver(failingThen(1), sampleNotification(), { backoffMs: [1] })).toEqual({ ok: true, attempts: 2 });
  });
});
