// Objects of the artifact store kept in the database, for `weir worker`s on machines that share no disk with
// the scheduler (migration 0010, docs/distributed.md). Content-addressed like the local store: the digest
// names the bytes, so writing an object twice is a no-op and a reader checks what it got.
import { createHash } from "node:crypto";
import type { Dialect } from "./dialect.js";
import {
  DELETE_SHARED_ARTIFACT,
  DELETE_SHARED_ARTIFACT_CHUNKS,
  GET_SHARED_ARTIFACT,
  GET_SHARED_ARTIFACT_CHUNK,
  HAS_SHARED_ARTIFACT,
  INSERT_SHARED_ARTIFACT,
  INSERT_SHARED_ARTIFACT_CHUNK,
  LIST_SHARED_ARTIFACTS,
} from "./sql/shared-artifacts.js";

export interface SharedArtifactInfo {
  digest: string;
  bytes: number;
  createdMs: number;
}

export interface SharedArtifactStore {
  /** Copies an object in, all of it in one transaction; false when it was there already. */
  put(digest: string, data: Buffer, nowMs: number): Promise<boolean>;
  /** The object's bytes, checked against its digest; null when the store doesn't hold it. */
  get(digest: string): Promise<Buffer | null>;
  has(digest: string): Promise<boolean>;
  /** Removes an object; false when there was none. */
  delete(digest: string): Promise<boolean>;
  list(): Promise<SharedArtifactInfo[]>;
}

/** Raw bytes per chunk: 3 MiB is 4 MiB of base64 text, one comfortable parameter on either database. */
const CHUNK_BYTES = 3 * 1024 * 1024;

export class SqlSharedArtifacts implements SharedArtifactStore {
  constructor(private readonly db: Dialect) {}

  put(digest: string, data: Buffer, nowMs: number): Promise<boolean> {
    const chunks = Math.max(1, Math.ceil(data.length / CHUNK_BYTES));
    return this.db.transaction(async (tx) => {
      // Two workers copying the same object: the second waits on the first's row, then finds it and stops.
      const added = await tx.run(INSERT_SHARED_ARTIFACT, [digest, data.length, chunks, nowMs]);
      if (added === 0) return false;
      for (let seq = 0; seq < chunks; seq++) {
        const part = data.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES).toString("base64");
        await tx.run(INSERT_SHARED_ARTIFACT_CHUNK, [digest, seq, part]);
      }
      return true;
    });
  }

  async get(digest: string): Promise<Buffer | null> {
    const head = await this.db.session.get<{ bytes: unknown; chunks: unknown }>(GET_SHARED_ARTIFACT, [digest]);
    if (head === undefined) return null;
    const parts: Buffer[] = [];
    // One chunk per query: an object of hundreds of MB is never held twice over as result rows.
    for (let seq = 0; seq < Number(head.chunks); seq++) {
      const row = await this.db.session.get<{ data: unknown }>(GET_SHARED_ARTIFACT_CHUNK, [digest, seq]);
      // Deleted while being read (`weir artifacts prune`, which removes chunks and row together): gone.
      if (row === undefined) return null;
      parts.push(Buffer.from(String(row.data), "base64"));
    }
    const data = Buffer.concat(parts);
    const actual = createHash("sha256").update(data).digest("hex");
    if (data.length !== Number(head.bytes) || actual !== digest) throw new Error(`shared artifact sha256:${digest} is corrupt: got ${data.length} bytes with sha256 ${actual}`);
    return data;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.db.session.get(HAS_SHARED_ARTIFACT, [digest])) !== undefined;
  }

  delete(digest: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.run(DELETE_SHARED_ARTIFACT_CHUNKS, [digest]);
      return (await tx.run(DELETE_SHARED_ARTIFACT, [digest])) > 0;
    });
  }

  async list(): Promise<SharedArtifactInfo[]> {
    const rows = await this.db.session.all<{ digest: unknown; bytes: unknown; created_ms: unknown }>(LIST_SHARED_ARTIFACTS);
    return rows.map((row) => ({ digest: String(row.digest), bytes: Number(row.bytes), createdMs: Number(row.created_ms) }));
  }
}
