// `weir logs` for a try that ran on a remote `weir worker`: its log was stored in chunks (docs/distributed.md).
import { SqlStore } from "../store/sql-store.js";
import type { Store } from "../store/types.js";

/** Writes the stored log of a try to stdout; returns its length (0: none stored). */
export async function copyRemoteLog(store: Store, tryKey: string): Promise<number> {
  if (!(store instanceof SqlStore)) return 0;
  const text = await store.distributed.readLog(tryKey);
  if (text === null || text === "") return 0;
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  return text.length;
}
