// The filesystem ArtifactStore on a real temp directory: content addressing, idempotent atomic puts, listing,
// deleting, a clear error for a missing object, and stale temp files of crashed writes removed.
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArtifactMissingError, artifactThreshold, digestOf, formatArtifactRef, LocalArtifactStore, parseArtifactRef } from "../../src/artifacts/index.js";

const root = mkdtempSync(join(tmpdir(), "weir-artifacts-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): LocalArtifactStore => new LocalArtifactStore(join(root, `s${n++}`));

describe("LocalArtifactStore", () => {
  it("names objects by sha256, stores identical content once, and reads it back", async () => {
    const store = fresh();
    const digest = await store.put("hello");
    expect(digest).toBe(digestOf("hello"));
    expect(await store.put(Buffer.from("hello"))).toBe(digest);
    expect((await store.get(digest)).toString()).toBe("hello");
    expect(store.getSync(digest).toString()).toBe("hello");
    expect(await store.has(digest)).toBe(true);
    const listed = [];
    for await (const info of store.list()) listed.push(info);
    expect(listed.map(({ digest: d, size }) => ({ digest: d, size }))).toEqual([{ digest, size: 5 }]);
    expect(listed[0]?.modifiedMs).toBeGreaterThan(0);
    // No temp file is left behind by a write.
    expect(readdirSync(join(store.dir, "sha256", digest.slice(0, 2)))).toEqual([digest]);
  });

  it("deletes, and a missing object is a clear ArtifactMissingError", async () => {
    const store = fresh();
    const digest = await store.put("bye");
    expect(await store.delete(digest)).toBe(true);
    expect(await store.delete(digest)).toBe(false);
    expect(await store.has(digest)).toBe(false);
    await expect(store.get(digest)).rejects.toBeInstanceOf(ArtifactMissingError);
    await expect(store.get(digest)).rejects.toThrow(/artifact sha256:[0-9a-f]{64} is not in .*weir artifacts prune/);
    await expect(store.get("not-a-digest")).rejects.toThrow(/not a sha256 digest/);
  });

  it("removes temp files left by a crashed write once they are older than the bound", async () => {
    const store = fresh();
    const digest = await store.put("x");
    const temp = join(store.dir, "sha256", digest.slice(0, 2), ".tmp-crashed");
    writeFileSync(temp, "half");
    expect(await store.removeStaleTemps(Date.now() - 60_000)).toBe(0);
    utimesSync(temp, new Date(0), new Date(0));
    expect(await store.removeStaleTemps(Date.now() - 60_000)).toBe(1);
    expect(readdirSync(join(store.dir, "sha256", digest.slice(0, 2)))).toEqual([digest]);
  });
});

describe("artifact references and the threshold", () => {
  it("round-trips a reference and never mistakes an encoded value for one", () => {
    const ref = { digest: "ab".repeat(32), size: 1234 };
    expect(parseArtifactRef(formatArtifactRef(ref))).toEqual(ref);
    expect(parseArtifactRef('["@artifact:sha256:x"]')).toBeNull();
    expect(parseArtifactRef("@artifact:sha256:short:1")).toBeNull();
  });

  it("reads WEIR_ARTIFACT_THRESHOLD: default 64 KB, whole numbers only", () => {
    expect(artifactThreshold({})).toBe(65_536);
    expect(artifactThreshold({ WEIR_ARTIFACT_THRESHOLD: "0" })).toBe(0);
    expect(() => artifactThreshold({ WEIR_ARTIFACT_THRESHOLD: "64k" })).toThrow(/WEIR_ARTIFACT_THRESHOLD must be a whole number of bytes/);
  });
});
