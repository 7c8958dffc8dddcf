// Logs of tries that ran on a remote `weir worker`: the worker keeps the file in its own WEIR_HOME and ships
// it to the store in chunks (try_log_chunks, docs/distributed.md). `weir logs` (also --follow) and the API
// (wired in serve-api.ts) read them from there when the try's log file isn't on this machine, by byte offset:
// a poll reads only the chunks past what was printed, not the whole log again.
import type { LogChunkRecord } from "../store/distributed-types.js";
import { forEachLogSlice, readStoredLogSlice } from "../store/log-chunks.js";
import { SqlStore } from "../store/sql-store.js";
import type { Store } from "../store/types.js";
import { tryKeyOf } from "../worker/protocol.js";

/** Bytes written to stdout per read while copying a stored log. */
const COPY_BYTES = 1024 * 1024;

/**
 * Up to `limit` stored chunks of a try's log from the one holding byte `offset` on; null when the store keeps
 * no chunks.
 */
export async function readStoredLogChunks(
  store: Store,
  runId: string,
  taskId: string,
  mapIndex: number,
  tryNumber: number,
  offset: number,
  limit: number,
): Promise<LogChunkRecord[] | null> {
  if (!(store instanceof SqlStore)) return null;
  return store.distributed.readLogFrom(tryKeyOf(runId, taskId, mapIndex, tryNumber), offset, limit);
}

/**
 * Writes the stored log of a try to stdout from byte `offset` (what was printed before); returns the new
 * offset. Chunks are cut at character boundaries, so byte offsets of their concatenation are the file's.
 */
export async function copyStoredLog(store: Store, at: { runId: string; taskId: string; mapIndex: number; tryNumber: number }, offset: number): Promise<number> {
  const read = (from: number, limit: number) => readStoredLogChunks(store, at.runId, at.taskId, at.mapIndex, at.tryNumber, from, limit);
  const write = (bytes: Buffer) => new Promise<void>((resolve) => process.stdout.write(bytes, () => resolve()));
  return forEachLogSlice((from, maxBytes) => readStoredLogSlice(read, from, maxBytes), offset, COPY_BYTES, write);
}
