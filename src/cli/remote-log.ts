// Logs of tries that ran on a remote `weir worker`: the worker keeps the file in its own WEIR_HOME and ships
// it to the store in chunks (try_log_chunks, docs/distributed.md). `weir logs` (also --follow) and the API
// (wired in serve-api.ts) read them from there when the try's log file isn't on this machine.
import { SqlStore } from "../store/sql-store.js";
import type { Store } from "../store/types.js";
import { tryKeyOf } from "../worker/protocol.js";

/** A try's log as its worker shipped it so far; null when nothing was stored (or the store keeps no chunks). */
export async function readStoredLog(store: Store, runId: string, taskId: string, mapIndex: number, tryNumber: number): Promise<string | null> {
  if (!(store instanceof SqlStore)) return null;
  return store.distributed.readLog(tryKeyOf(runId, taskId, mapIndex, tryNumber));
}

/**
 * Writes the stored log of a try to stdout from byte `offset` (what was printed before); returns the new
 * offset. Chunks are cut at character boundaries, so byte offsets of their concatenation are the file's.
 */
export async function copyStoredLog(store: Store, at: { runId: string; taskId: string; mapIndex: number; tryNumber: number }, offset: number): Promise<number> {
  const text = await readStoredLog(store, at.runId, at.taskId, at.mapIndex, at.tryNumber);
  if (text === null) return offset;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= offset) return offset;
  await new Promise<void>((resolve) => process.stdout.write(bytes.subarray(offset), () => resolve()));
  return bytes.length;
}
