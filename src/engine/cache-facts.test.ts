// The engine passes a success's cache facts (docs/caching.md) through to the store unread: a try that ran
// under a cache key carries it on its success transition, a cache hit carries `cached`, other events neither.
import { describe, expect, it } from "vitest";
import { advance, applyDecision } from "./advance.js";
import { engineGraph, freshSnapshot } from "./engine-fixtures.test-util.js";
import type { EngineEvent, RunSnapshot } from "./types.js";

function runningA(): RunSnapshot {
  const snapshot = freshSnapshot(engineGraph({ a: {}, b: { upstream: ["a"] } }));
  for (const event of [{ kind: "run_started" }, { kind: "try_queued", taskId: "a", mapIndex: -1, tryNumber: 1 }, { kind: "try_started", taskId: "a", mapIndex: -1, tryNumber: 1 }] as EngineEvent[]) {
    applyDecision(snapshot, advance(snapshot, event, 1));
  }
  return snapshot;
}

describe("cache facts", () => {
  it("a success computed under a key carries the key; downstream is scheduled as for every success", () => {
    const decision = advance(runningA(), { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1, output: "[1]", cacheKey: "k1" }, 2);
    expect(decision.transitions[0]).toMatchObject({ taskId: "a", to: "success", output: "[1]", cacheKey: "k1" });
    expect(decision.transitions[0]?.cached).toBeUndefined();
    expect(decision.transitions[1]).toMatchObject({ taskId: "b", from: "pending", to: "scheduled" });
  });

  it("a cache hit is a success marked cached, without a key", () => {
    const decision = advance(runningA(), { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1, output: "[1]", cached: true }, 2);
    expect(decision.transitions[0]).toMatchObject({ to: "success", cached: true });
    expect(decision.transitions[0]?.cacheKey).toBeUndefined();
  });

  it("a plain success carries neither, and a stale one with facts is still ignored", () => {
    const snapshot = runningA();
    const plain = advance(snapshot, { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 1, output: "[1]" }, 2);
    // Every transition has the same fields (one hidden class): "carries neither" means both are unset.
    expect(plain.transitions[0]?.cacheKey).toBeUndefined();
    expect(plain.transitions[0]?.cached).toBeUndefined();
    expect(advance(snapshot, { kind: "try_succeeded", taskId: "a", mapIndex: -1, tryNumber: 2, cached: true }, 2).transitions).toEqual([]);
  });
});
