// The default pool's size from WEIR_DEFAULT_POOL_SLOTS (or weir.config.ts's defaultPoolSlots, which becomes
// it): a bad value is refused naming the variable, not as if it were a pool the user defined.
import { describe, expect, it } from "vitest";
import { WeirError } from "../../src/common/errors.js";
import { defaultPoolSlotsFromEnv } from "../../src/store/pools.js";

describe("defaultPoolSlotsFromEnv", () => {
  it("reads a whole number, and has a default", () => {
    expect(defaultPoolSlotsFromEnv({ WEIR_DEFAULT_POOL_SLOTS: "9" })).toBe(9);
    expect(defaultPoolSlotsFromEnv({})).toBe(128);
  });

  it("refuses anything else naming WEIR_DEFAULT_POOL_SLOTS", () => {
    for (const raw of ["many", "-1", "2.5"]) {
      expect(() => defaultPoolSlotsFromEnv({ WEIR_DEFAULT_POOL_SLOTS: raw })).toThrow(WeirError);
      expect(() => defaultPoolSlotsFromEnv({ WEIR_DEFAULT_POOL_SLOTS: raw })).toThrow(`WEIR_DEFAULT_POOL_SLOTS must be a whole number ≥ 0, got "${raw}"`);
    }
  });
});
