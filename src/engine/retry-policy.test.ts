// Retry decisions and delays, and the jitter hash that makes them replayable.
import { describe, it, expect } from "vitest";
import { canRetry, jitterSampleFor, MAX_LOST_TRIES, retryDelayMs } from "./retry-policy.js";
import type { RetryPolicy, TaskFailure } from "./types.js";

const failure = (retryable: boolean): TaskFailure => ({ name: "Error", message: "boom", retryable, kind: "error" });
const exponential: RetryPolicy = { retries: 5, retryDelayMs: 1_000, backoff: "exponential", maxRetryDelayMs: 60_000 };

describe("canRetry", () => {
  const policy: RetryPolicy = { retries: 2, retryDelayMs: 10, backoff: "fixed", maxRetryDelayMs: 100 };
  it("retries while tries remain", () => {
    expect(canRetry(policy, 1, failure(true))).toBe(true);
    expect(canRetry(policy, 2, failure(true))).toBe(true);
    expect(canRetry(policy, 3, failure(true))).toBe(false);
  });
  it("never retries a non-retryable failure", () => {
    expect(canRetry(policy, 1, failure(false))).toBe(false);
  });
  it("never retries with retries 0", () => {
    expect(canRetry({ ...policy, retries: 0 }, 1, failure(true))).toBe(false);
  });
});

describe("retryDelayMs", () => {
  it("fixed backoff is exactly the delay, whatever the try or sample", () => {
    const fixed: RetryPolicy = { ...exponential, backoff: "fixed", retryDelayMs: 7_000 };
    for (const tries of [1, 2, 10]) for (const sample of [0, 0.5, 0.999]) expect(retryDelayMs(fixed, tries, sample)).toBe(7_000);
  });
  it("exponential doubles the base per failed try, jitter adds up to one base", () => {
    expect(retryDelayMs(exponential, 1, 0)).toBe(1_000);
    expect(retryDelayMs(exponential, 2, 0)).toBe(2_000);
    expect(retryDelayMs(exponential, 3, 0)).toBe(4_000);
    expect(retryDelayMs(exponential, 3, 0.5)).toBe(6_000);
    expect(retryDelayMs(exponential, 3, 0.999999)).toBeLessThan(8_000);
  });
  it("stays in [base, 2·base) and under the cap", () => {
    for (let tries = 1; tries <= 12; tries += 1) {
      for (const sample of [0, 0.1, 0.5, 0.9, 0.9999999, 1]) {
        const base = 1_000 * 2 ** (tries - 1);
        const delay = retryDelayMs(exponential, tries, sample);
        expect(delay).toBeLessThanOrEqual(60_000);
        if (2 * base <= 60_000) {
          expect(delay).toBeGreaterThanOrEqual(base);
          expect(delay).toBeLessThan(2 * base);
        }
      }
    }
  });
  it("caps absurd try counts instead of overflowing", () => {
    expect(retryDelayMs(exponential, 5_000, 0.5)).toBe(60_000);
  });
});

describe("jitterSampleFor", () => {
  it("is deterministic and in [0, 1)", () => {
    const a = jitterSampleFor("run_1", "train", -1, 1);
    expect(jitterSampleFor("run_1", "train", -1, 1)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(1);
  });
  it("depends on every part of the try id", () => {
    const base = jitterSampleFor("run_1", "train", -1, 1);
    expect(jitterSampleFor("run_2", "train", -1, 1)).not.toBe(base);
    expect(jitterSampleFor("run_1", "trains", -1, 1)).not.toBe(base);
    expect(jitterSampleFor("run_1", "train", 0, 1)).not.toBe(base);
    expect(jitterSampleFor("run_1", "train", -1, 2)).not.toBe(base);
  });
  it("matches FNV-1a 32-bit reference values", () => {
    // The reference itself against the published FNV-1a test vectors, then the engine against it.
    expect(fnvReference("")).toBe(0x811c9dc5);
    expect(fnvReference("a")).toBe(0xe40c292c);
    expect(fnvReference("foobar")).toBe(0xbf9cf968);
    expect(jitterSampleFor("", "", 0, 0) * 2 ** 32).toBe(fnvReference("\u0000\u00000\u00000"));
    expect(jitterSampleFor("é", "ü", -1, 3) * 2 ** 32).toBe(fnvReference("é\u0000ü\u0000-1\u00003"));
  });
  it("spreads samples over [0, 1)", () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i += 1) {
      const bucket = Math.floor(jitterSampleFor("run", `task_${i}`, -1, 1) * 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(800);
  });
});

// Reference FNV-1a over UTF-8 bytes, via the platform's encoder.
function fnvReference(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

describe("lost tries", () => {
  const policy = { retries: 1, retryDelayMs: 1000, backoff: "fixed" as const, maxRetryDelayMs: 60_000 };
  const lost = { name: "TryLostError", message: "driver died", retryable: true, kind: "lost" as const };
  const error = { name: "Error", message: "boom", retryable: true, kind: "error" as const };

  it("don't use the task's retries, up to MAX_LOST_TRIES", () => {
    const none = { ...policy, retries: 0 };
    expect(canRetry(none, 1, lost, 0)).toBe(true);
    expect(canRetry(none, MAX_LOST_TRIES, lost, MAX_LOST_TRIES - 1)).toBe(true);
    expect(canRetry(none, MAX_LOST_TRIES + 1, lost, MAX_LOST_TRIES)).toBe(false);
  });

  it("leave the retries for the task's own failures", () => {
    // try 1 lost, try 2 failed (its first own failure): one retry left; try 3 failed: none.
    expect(canRetry(policy, 2, error, 1)).toBe(true);
    expect(canRetry(policy, 3, error, 1)).toBe(false);
  });
});
