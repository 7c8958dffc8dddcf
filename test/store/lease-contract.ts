// The store contract for leases (who is *the* scheduler). Their clock differs by design (DESIGN.md §7): the
// caller's on SQLite, so tests simulate time; the database's on Postgres, so tests read that clock and wait for
// expiry on a 1 ms ttl instead of timing anything.
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import { errorOf, T0, type StoreContractOptions } from "./contract-support.js";
import { DAY_MS } from "./fixtures.js";

export function describeLeaseContract(store: () => Store, options: StoreContractOptions): void {
  describe("leases", () => {
    const TTL = 1000;
    // Long enough that no test outlives it on a real clock.
    const LONG_TTL = 3_600_000;

    if (options.databaseNowMs === undefined) describeCallerClockLeases();
    else describeDatabaseClockLeases(options.databaseNowMs);

    it("is released only by its owner, then free for anyone", async () => {
      await store().acquireLease("scheduler", "A", T0, LONG_TTL);
      await store().releaseLease("scheduler", "B");
      expect(await store().getLease("scheduler")).toMatchObject({ owner: "A" });
      expect(await store().acquireLease("scheduler", "B", T0 + 1, LONG_TTL)).toBe(false);
      await store().releaseLease("scheduler", "A");
      expect(await store().getLease("scheduler")).toBeNull();
      expect(await store().acquireLease("scheduler", "B", T0 + 1, LONG_TTL)).toBe(true);
      await store().releaseLease("nope", "A");
    });

    it("goes to exactly one of many owners racing for it", async () => {
      const owners = ["A", "B", "C", "D", "E"];
      const outcomes = await Promise.all(owners.map((owner) => store().acquireLease("scheduler", owner, T0, LONG_TTL)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect((await store().getLease("scheduler"))?.owner).toBe(owners[outcomes.indexOf(true)]);
    });

    it("refuses a ttl that is not a positive whole number", async () => {
      for (const ttl of [0, -5, 1.5, Number.NaN]) {
        expect((await errorOf(store().acquireLease("scheduler", "A", T0, ttl))).code).toBe("lease_invalid");
        expect((await errorOf(store().renewLease("scheduler", "A", T0, ttl))).code).toBe("lease_invalid");
      }
      expect(await store().getLease("scheduler")).toBeNull();
    });

    /** SQLite: the caller's clock decides (one scheduler per file; tests simulate time). */
    function describeCallerClockLeases(): void {
      it("is taken by one owner, refused to others until it expires, then taken over", async () => {
        expect(await store().getLease("scheduler")).toBeNull();
        expect(await store().acquireLease("scheduler", "A", T0, TTL)).toBe(true);
        expect(await store().getLease("scheduler")).toEqual({ name: "scheduler", owner: "A", expiresMs: T0 + TTL });
        expect(await store().acquireLease("scheduler", "B", T0 + 10, TTL)).toBe(false);
        expect(await store().acquireLease("scheduler", "B", T0 + TTL - 1, TTL)).toBe(false);
        expect(await store().getLease("scheduler")).toMatchObject({ owner: "A", expiresMs: T0 + TTL });
        // Held while now < expiresMs: at expiresMs it is free.
        expect(await store().acquireLease("scheduler", "B", T0 + TTL, TTL)).toBe(true);
        expect(await store().getLease("scheduler")).toEqual({ name: "scheduler", owner: "B", expiresMs: T0 + 2 * TTL });
        // Other lease names are independent.
        expect(await store().acquireLease("other", "A", T0 + TTL, TTL)).toBe(true);
      });

      it("re-acquiring one's own lease extends it", async () => {
        expect(await store().acquireLease("scheduler", "A", T0, TTL)).toBe(true);
        expect(await store().acquireLease("scheduler", "A", T0 + 500, TTL)).toBe(true);
        expect((await store().getLease("scheduler"))?.expiresMs).toBe(T0 + 500 + TTL);
      });

      it("renews only for its unexpired owner", async () => {
        expect(await store().renewLease("scheduler", "A", T0, TTL)).toBe(false);
        expect(await store().getLease("scheduler")).toBeNull();
        await store().acquireLease("scheduler", "A", T0, TTL);
        expect(await store().renewLease("scheduler", "A", T0 + 900, TTL)).toBe(true);
        expect((await store().getLease("scheduler"))?.expiresMs).toBe(T0 + 1900);
        // A non-owner cannot renew, and changes nothing.
        expect(await store().renewLease("scheduler", "B", T0 + 950, TTL)).toBe(false);
        expect(await store().getLease("scheduler")).toMatchObject({ owner: "A", expiresMs: T0 + 1900 });
        // Once expired, even the owner must acquire again (it may have lost the lease meanwhile).
        expect(await store().renewLease("scheduler", "A", T0 + 1900, TTL)).toBe(false);
        expect(await store().acquireLease("scheduler", "A", T0 + 1900, TTL)).toBe(true);
        // Taken over after expiry: the old owner's renewal fails.
        expect(await store().acquireLease("scheduler", "B", T0 + 2900, TTL)).toBe(true);
        expect(await store().renewLease("scheduler", "A", T0 + 2901, TTL)).toBe(false);
        expect(await store().getLease("scheduler")).toMatchObject({ owner: "B" });
      });
    }

    /**
     * Postgres: the database's clock decides and the caller's `nowMs` is not used (DESIGN.md §7), so processes
     * whose clocks disagree still agree on the holder. Expiry is waited for with a 1 ms ttl, never timed.
     */
    function describeDatabaseClockLeases(databaseNowMs: () => Promise<number>): void {
      it("runs on the database's clock whatever time the caller passes", async () => {
        const before = await databaseNowMs();
        expect(await store().acquireLease("scheduler", "A", 0, LONG_TTL)).toBe(true);
        const after = await databaseNowMs();
        const lease = await store().getLease("scheduler");
        expect(lease?.owner).toBe("A");
        expect(lease!.expiresMs).toBeGreaterThanOrEqual(before + LONG_TTL);
        expect(lease!.expiresMs).toBeLessThanOrEqual(after + LONG_TTL);
        // A caller whose clock runs years ahead can't take an unexpired lease, nor can a renewal from the
        // past keep an expired one (below).
        expect(await store().acquireLease("scheduler", "B", T0 + 100 * 365 * DAY_MS, LONG_TTL)).toBe(false);
        // Re-acquiring and renewing extend it from the database's now.
        expect(await store().acquireLease("scheduler", "A", 0, LONG_TTL)).toBe(true);
        expect(await store().renewLease("scheduler", "A", 0, 2 * LONG_TTL)).toBe(true);
        expect((await store().getLease("scheduler"))!.expiresMs).toBeGreaterThanOrEqual(after + 2 * LONG_TTL);
        expect(await store().renewLease("scheduler", "B", 0, LONG_TTL)).toBe(false);
      });

      it("expires on the database's clock: then taken over, and the old owner can't renew", async () => {
        expect(await store().renewLease("scheduler", "A", 0, TTL)).toBe(false);
        expect(await store().acquireLease("scheduler", "A", T0, 1)).toBe(true);
        await waitUntil(async () => (await databaseNowMs()) >= (await store().getLease("scheduler"))!.expiresMs);
        expect(await store().renewLease("scheduler", "A", T0 + 100 * 365 * DAY_MS, LONG_TTL)).toBe(false);
        expect(await store().acquireLease("scheduler", "B", 0, LONG_TTL)).toBe(true);
        expect(await store().renewLease("scheduler", "A", 0, LONG_TTL)).toBe(false);
        expect(await store().getLease("scheduler")).toMatchObject({ owner: "B" });
        expect(await store().acquireLease("other", "A", 0, LONG_TTL)).toBe(true);
      });
    }
  });
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting for the database's clock");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
