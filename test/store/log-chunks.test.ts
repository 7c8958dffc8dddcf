// Reading a remote try's stored log by byte offset (src/store/log-chunks.ts): the bytes from any offset, a
// character cut by the offset included as bytes; gaps end a slice; a reader following the log asks only for
// the chunks from its offset on. The store's own readLogFrom is in the distributed contract (both databases).
import { describe, expect, it } from "vitest";
import type { LogChunkRecord } from "../../src/store/distributed-types.js";
import { bytesFrom, forEachLogSlice, LOG_CHUNKS_PER_READ, readStoredLogSlice, type LogChunkReader } from "../../src/store/log-chunks.js";

function chunksOf(texts: string[]): LogChunkRecord[] {
  let offset = 0;
  return texts.map((text) => {
    const chunk = { offset, text };
    offset += Buffer.byteLength(text);
    return chunk;
  });
}

/** A reader over stored chunks that answers as the store does (the chunk holding the offset first) and logs what it was asked. */
function readerOver(chunks: LogChunkRecord[], asked: number[][]): LogChunkReader {
  return async (offset, limit) => {
    asked.push([offset, limit]);
    let first = 0;
    chunks.forEach((c, i) => (c.offset <= offset ? (first = i) : undefined));
    return chunks.slice(first, first + limit);
  };
}

describe("bytesFrom", () => {
  const chunks = chunksOf(["héllo\n", "日本語\n", "end"]);
  const whole = Buffer.from("héllo\n日本語\nend");

  it("gives the bytes from any offset, also one inside a character", () => {
    for (let offset = 0; offset <= whole.length; offset++) expect(bytesFrom(chunks, offset).equals(whole.subarray(offset))).toBe(true);
  });

  it("stops at a chunk not stored yet", () => {
    const [first, , third] = chunks;
    expect(bytesFrom([first!, third!], 0).toString()).toBe("héllo\n");
  });
});

describe("readStoredLogSlice", () => {
  it("reads what is new since an offset, and says when it reached the end", async () => {
    const texts = Array.from({ length: LOG_CHUNKS_PER_READ * 2 + 5 }, (_, i) => `line ${i}\n`);
    const chunks = chunksOf(texts);
    const whole = Buffer.from(texts.join(""));
    const asked: number[][] = [];
    const read = readerOver(chunks, asked);

    const all = await readStoredLogSlice(read, 0, Number.MAX_SAFE_INTEGER);
    expect(all.end).toBe(true);
    expect(all.bytes.equals(whole)).toBe(true);
    expect(asked.length).toBe(3);

    // A follower that has everything asks once, from where it is, and gets nothing.
    asked.length = 0;
    const none = await readStoredLogSlice(read, whole.length, 1024);
    expect([none.bytes.length, none.end, asked]).toEqual([0, true, [[whole.length, LOG_CHUNKS_PER_READ]]]);

    // A bounded read stops after whole chunks covering what was asked, not at the end.
    const some = await readStoredLogSlice(read, 3, 10);
    expect(some.end).toBe(false);
    expect(some.bytes.length).toBeGreaterThanOrEqual(10);
    expect(some.bytes.equals(whole.subarray(3, 3 + some.bytes.length))).toBe(true);
  });
});

describe("forEachLogSlice", () => {
  it("hands over the log from an offset in slices, in order, and returns the offset past its end", async () => {
    const whole = Buffer.from("héllo\n日本語\nend");
    const asked: number[] = [];
    const read = async (offset: number, maxBytes: number) => {
      asked.push(offset);
      return { bytes: whole.subarray(offset, offset + maxBytes), end: offset + maxBytes >= whole.length };
    };
    const taken: Buffer[] = [];
    const end = await forEachLogSlice(read, 2, 4, async (bytes) => {
      await new Promise((resolve) => setTimeout(resolve, 1)); // each slice is taken before the next is read
      taken.push(bytes);
    });
    expect(end).toBe(whole.length);
    expect(Buffer.concat(taken).equals(whole.subarray(2))).toBe(true);
    expect(asked).toEqual([2, 6, 10, 14, 18]);
  });

  it("stops at an empty slice (a gap, or nothing yet) and takes nothing for it", async () => {
    let taken = 0;
    const end = await forEachLogSlice(async () => ({ bytes: Buffer.alloc(0), end: false }), 7, 4, () => {
      taken++;
    });
    expect(end).toBe(7);
    expect(taken).toBe(0);
  });
});
