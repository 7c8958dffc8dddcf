// Reading a remote try's log from the chunks its worker shipped (try_log_chunks, docs/distributed.md) by byte
// offset: a reader that follows a running try asks only for what lies past the bytes it has, a few chunks per
// query, so following a long log costs what is new rather than the whole log on every poll.
import type { LogChunkRecord } from "./distributed-types.js";

/** Chunks per query (a worker ships chunks of at most 64 KiB). */
export const LOG_CHUNKS_PER_READ = 32;

/** Chunks from the one holding byte `offset` on, at most `limit`; null when the store keeps no chunks. */
export type LogChunkReader = (offset: number, limit: number) => Promise<LogChunkRecord[] | null>;

/** What is stored from an offset on: its bytes, and whether they reach the end of what is stored now. */
export interface StoredLogSlice {
  bytes: Buffer;
  end: boolean;
}

/**
 * The stored bytes from `offset` on, at least `maxBytes` of them where there are that many (whole chunks, so
 * possibly more; the caller cuts). A gap (a chunk not stored yet) ends the slice there.
 */
export async function readStoredLogSlice(read: LogChunkReader, offset: number, maxBytes: number): Promise<StoredLogSlice> {
  const parts: Buffer[] = [];
  let at = offset;
  for (;;) {
    const chunks = (await read(at, LOG_CHUNKS_PER_READ)) ?? [];
    const next = bytesFrom(chunks, at);
    parts.push(next);
    at += next.length;
    const end = chunks.length < LOG_CHUNKS_PER_READ || next.length === 0;
    if (end || at - offset >= maxBytes) return { bytes: Buffer.concat(parts), end };
  }
}

/** The bytes of `chunks` (in order) from byte `offset` on, up to the first gap. */
export function bytesFrom(chunks: readonly LogChunkRecord[], offset: number): Buffer {
  const parts: Buffer[] = [];
  let at = offset;
  for (const chunk of chunks) {
    if (chunk.offset > at) break;
    const bytes = Buffer.from(chunk.text, "utf8");
    if (chunk.offset + bytes.length <= at) continue;
    parts.push(bytes.subarray(at - chunk.offset));
    at = chunk.offset + bytes.length;
  }
  return Buffer.concat(parts);
}
