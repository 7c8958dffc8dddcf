// The artifact store: large task outputs, content-addressed by sha256 so identical outputs share one object.
// An interface so S3-compatible storage can follow; the local filesystem one lives in local-store.ts.

export interface ArtifactInfo {
  digest: string;
  size: number;
  /** When the object was written (epoch ms): orphans (never referenced by a committed try) are pruned by it. */
  modifiedMs: number;
}

export interface ArtifactStore {
  /** Stores `data` under its sha256 and returns the digest; a no-op when it is already there. Durable on return. */
  put(data: Uint8Array | string): Promise<string>;
  /** The object's bytes; throws ArtifactMissingError when it is not there (pruned, or another machine's). */
  get(digest: string): Promise<Buffer>;
  has(digest: string): Promise<boolean>;
  /** True when it existed. */
  delete(digest: string): Promise<boolean>;
  list(): AsyncIterable<ArtifactInfo>;
}

export class ArtifactMissingError extends Error {
  constructor(
    readonly digest: string,
    where: string,
  ) {
    super(`artifact sha256:${digest} is not in ${where} (pruned with \`weir artifacts prune\`, or written on another machine)`);
    this.name = "ArtifactMissingError";
  }
}
