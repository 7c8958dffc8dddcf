// Ships the log files of a worker's running tries to the store in chunks (docs/distributed.md), so
// `weir logs` reads them from every machine while the try runs and after. A try's writes are whole lines, so
// a running try's file is shipped up to its last newline; its final shipment takes the rest. Shipments of
// one try are chained: chunk numbers stay in order and none is sent twice. Each chunk carries the byte offset
// where it starts, so readers fetch only the chunks past what they have (DistributedStore.readLogFrom).
import { open } from "node:fs/promises";
import type { DistributedStore } from "../../store/distributed-types.js";

/** Bytes per stored chunk at most. */
const CHUNK_BYTES = 64 * 1024;

interface Shipped {
  /** Bytes of the file shipped. */
  offset: number;
  /** Bytes of the text stored: where the next chunk starts (the file's offset, unless it held invalid UTF-8). */
  stored: number;
  seq: number;
  chain: Promise<void>;
}

export class LogShipper {
  private readonly tries = new Map<string, Shipped>();

  constructor(
    private readonly store: DistributedStore,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Ships what the try's log gained since the last call; `final`: also a last partial line, then forgets the try. */
  ship(tryKey: string, logPath: string, final: boolean): Promise<void> {
    let state = this.tries.get(tryKey);
    if (state === undefined) this.tries.set(tryKey, (state = { offset: 0, stored: 0, seq: 0, chain: Promise.resolve() }));
    const shipped = state;
    shipped.chain = shipped.chain
      .then(() => this.shipNow(tryKey, logPath, shipped, final))
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        if (final) this.tries.delete(tryKey);
      });
    return shipped.chain;
  }

  private async shipNow(tryKey: string, logPath: string, shipped: Shipped, final: boolean): Promise<void> {
    let bytes: Buffer;
    try {
      const file = await open(logPath, "r");
      try {
        const { size } = await file.stat();
        if (size <= shipped.offset) return;
        bytes = Buffer.alloc(size - shipped.offset);
        await file.read(bytes, 0, bytes.length, shipped.offset);
      } finally {
        await file.close();
      }
    } catch {
      return; // no log (yet)
    }
    const end = final ? bytes.length : bytes.lastIndexOf(0x0a) + 1;
    for (let at = 0; at < end; ) {
      let next = Math.min(end, at + CHUNK_BYTES);
      // Never cut a UTF-8 character in two: back up to the start of the one the cut falls in.
      while (next < end && next > at && ((bytes[next] as number) & 0xc0) === 0x80) next--;
      const text = bytes.subarray(at, next).toString("utf8");
      await this.store.appendLogChunk(tryKey, shipped.seq, shipped.stored, text);
      shipped.seq++;
      shipped.stored += Buffer.byteLength(text);
      shipped.offset += next - at;
      at = next;
    }
  }
}
