// The store contract for artifacts shared between machines (migration 0010, docs/distributed.md), on SQLite
// and Postgres alike: content-addressed, copied in all at once, read back checked, listed and deleted.
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SharedArtifactStore } from "../../src/store/shared-artifacts.js";
import { SqlStore } from "../../src/store/sql-store.js";
import type { Store } from "../../src/store/types.js";

const T0 = 1_760_000_000_000;
const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

export function describeSharedArtifactsContract(name: string, open: () => Promise<Store>): void {
  describe(`Shared artifacts contract: ${name}`, () => {
    let store: Store;
    let shared: SharedArtifactStore;
    beforeEach(async () => {
      store = await open();
      if (!(store instanceof SqlStore)) throw new Error("shared artifacts live on SqlStore");
      shared = store.sharedArtifacts;
    });
    afterEach(async () => {
      await store.close();
    });

    it("keeps an object by its digest, once, and gives back its exact bytes", async () => {
      const data = Buffer.from(JSON.stringify({ rows: Array.from({ length: 1000 }, (_, i) => `row ${i} ✓`) }), "utf8");
      const digest = sha(data);
      expect(await shared.has(digest)).toBe(false);
      expect(await shared.get(digest)).toBeNull();
      expect(await shared.put(digest, data, T0)).toBe(true);
      expect(await shared.put(digest, data, T0 + 5)).toBe(false);
      expect(await shared.has(digest)).toBe(true);
      expect((await shared.get(digest))?.equals(data)).toBe(true);
      expect(await shared.list()).toEqual([{ digest, bytes: data.length, createdMs: T0 }]);
    });

    it("splits a large object into chunks and joins them back; an empty object has one empty chunk", async () => {
      // 7 MB of every byte value: three chunks of at most 3 MiB, binary-safe.
      const large = Buffer.alloc(7_000_000);
      for (let i = 0; i < large.length; i++) large[i] = (i * 131 + (i >> 11)) & 0xff;
      const empty = Buffer.alloc(0);
      await shared.put(sha(large), large, T0);
      await shared.put(sha(empty), empty, T0);
      expect((await shared.get(sha(large)))?.equals(large)).toBe(true);
      expect((await shared.get(sha(empty)))?.length).toBe(0);
      expect((await shared.list()).map((a) => a.bytes).sort((a, b) => a - b)).toEqual([0, 7_000_000]);
    });

    it("refuses to hand back bytes that don't match their digest", async () => {
      const data = Buffer.from("the real output");
      const wrongDigest = sha(Buffer.from("something else"));
      await shared.put(wrongDigest, data, T0);
      await expect(shared.get(wrongDigest)).rejects.toThrow(/is corrupt/);
    });

    it("deletes an object with its chunks", async () => {
      const data = Buffer.from("short-lived");
      await shared.put(sha(data), data, T0);
      expect(await shared.delete(sha(data))).toBe(true);
      expect(await shared.delete(sha(data))).toBe(false);
      expect(await shared.get(sha(data))).toBeNull();
      expect(await shared.list()).toEqual([]);
      // Copied in again after a delete: whole again, no chunk of the old copy in the way.
      expect(await shared.put(sha(data), data, T0 + 1)).toBe(true);
      expect((await shared.get(sha(data)))?.toString()).toBe("short-lived");
    });
  });
}
