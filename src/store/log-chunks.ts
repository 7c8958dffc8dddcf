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

/** Reads a log by byte offset: `readStoredLogSlice` over a store's chunks, or a file read the same way. */
export type LogSliceReader = (offset: number, maxBytes: number) => Promise<StoredLogSlice>;

/**
 * Hands the log from `offset` to its end so far to `take`, slice by slice in order (about `step` bytes each, so
 * a long log never sits in one read); returns the offset past the last byte taken.
 */
export async function forEachLogSlice(read: LogSliceReader, offset: number, step: number, take: (bytes: Buffer) => void | Promise<void>): Promise<number> {
  for (;;) {
    const { bytes, end } = await read(offset, step);
    if (bytes.length > 0) await take(bytes);
    offset += bytes.length;
    if (end || bytes.length === 0) return offset;
  }
}
