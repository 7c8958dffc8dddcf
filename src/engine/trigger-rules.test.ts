// Every combination of up to four upstream states, for every rule, against an oracle written from
// Airflow's documentation over the list of upstreams (engine-fixtures.test-util.ts).
import { describe, it, expect } from "vitest";
import { oracle, UPSTREAM_STATES, type Upstream } from "./engine-fixtures.test-util.js";
import { TRIGGER_RULES, type TriggerRule } from "./states.js";
import { evaluateTriggerRule, type TriggerOutcome } from "./trigger-rules.js";
import type { UpstreamCounts } from "./types.js";

function countsOf(ups: Upstream[]): UpstreamCounts {
  const n = (state: Upstream) => ups.filter((u) => u === state).length;
  return {
    success: n("success"),
    skipped: n("skipped"),
    failed: n("failed"),
    upstreamFailed: n("upstream_failed"),
    removed: n("removed"),
    total: ups.length,
  };
}

/** Every sequence of upstream states of length 0..maxTotal (order doesn't matter but costs nothing). */
function* allCombinations(maxTotal: number): Generator<Upstream[]> {
  for (let total = 0; total <= maxTotal; total += 1) {
    const digits = new Array<number>(total).fill(0);
    for (;;) {
      yield digits.map((d) => UPSTREAM_STATES[d] as Upstream);
      let i = 0;
      while (i < total && digits[i] === UPSTREAM_STATES.length - 1) digits[i++] = 0;
      if (i === total) break;
      digits[i] = (digits[i] ?? 0) + 1;
    }
  }
}

function counts(partial: Partial<UpstreamCounts> & { total: number }): UpstreamCounts {
  return { success: 0, skipped: 0, failed: 0, upstreamFailed: 0, removed: 0, ...partial };
}

describe("evaluateTriggerRule", () => {
  const combos = [...allCombinations(4)];

  it("covers every combination of up to 4 upstream states", () => {
    expect(combos.length).toBe(1 + 6 + 36 + 216 + 1296);
  });

  for (const rule of TRIGGER_RULES) {
    it(`${rule} agrees with the oracle on every combination`, () => {
      for (const ups of combos) {
        expect({ ups, outcome: evaluateTriggerRule(rule, countsOf(ups)) }).toEqual({ ups, outcome: oracle(rule, ups) });
      }
    });

    it(`${rule} always decides once every upstream is done`, () => {
      for (const ups of combos) {
        if (ups.includes("not_done")) continue;
        expect(evaluateTriggerRule(rule, countsOf(ups))).not.toBe("wait");
      }
    });
  }

  const examples: [TriggerRule, UpstreamCounts, TriggerOutcome][] = [
    ["all_success", counts({ total: 0 }), "run"],
    ["all_success", counts({ total: 2, success: 1 }), "wait"],
    ["all_success", counts({ total: 2, success: 2 }), "run"],
    ["all_success", counts({ total: 3, failed: 1 }), "upstream_failed"],
    ["all_success", counts({ total: 3, skipped: 1 }), "skip"],
    ["all_success", counts({ total: 3, skipped: 1, upstreamFailed: 1 }), "upstream_failed"],
    ["all_failed", counts({ total: 2, failed: 1, upstreamFailed: 1 }), "run"],
    ["all_failed", counts({ total: 2, failed: 1 }), "wait"],
    ["all_failed", counts({ total: 2, success: 1 }), "skip"],
    ["all_done", counts({ total: 3, success: 1, failed: 1, skipped: 1 }), "run"],
    ["all_skipped", counts({ total: 2, skipped: 2 }), "run"],
    ["all_skipped", counts({ total: 2, skipped: 1, success: 1 }), "skip"],
    ["one_success", counts({ total: 3, success: 1 }), "run"],
    ["one_success", counts({ total: 2, skipped: 2 }), "skip"],
    ["one_success", counts({ total: 2, skipped: 1, failed: 1 }), "upstream_failed"],
    ["one_failed", counts({ total: 3, upstreamFailed: 1 }), "run"],
    ["one_failed", counts({ total: 2, success: 2 }), "skip"],
    ["one_done", counts({ total: 3, failed: 1 }), "run"],
    ["one_done", counts({ total: 2, skipped: 1, upstreamFailed: 1 }), "skip"],
    ["none_failed", counts({ total: 2, skipped: 2 }), "run"],
    ["none_failed", counts({ total: 2, upstreamFailed: 1 }), "upstream_failed"],
    ["none_failed_min_one_success", counts({ total: 2, skipped: 2 }), "skip"],
    ["none_failed_min_one_success", counts({ total: 2, skipped: 1, success: 1 }), "run"],
    ["none_failed_min_one_success", counts({ total: 2, skipped: 1 }), "wait"],
    ["none_skipped", counts({ total: 2, success: 1, failed: 1 }), "run"],
    ["none_skipped", counts({ total: 2, skipped: 1 }), "skip"],
    ["always", counts({ total: 3 }), "run"],
    ["all_success", counts({ total: 2, success: 1, removed: 1 }), "run"],
    ["all_success", counts({ total: 2, removed: 2 }), "run"],
  ];
  for (const [rule, c, expected] of examples) {
    it(`${rule} with ${JSON.stringify(c)} → ${expected}`, () => {
      expect(evaluateTriggerRule(rule, c)).toBe(expected);
    });
  }
});
