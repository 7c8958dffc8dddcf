// The artifact store on a local disk: WEIR_HOME/artifacts/sha256/<2 hex>/<64 hex>. A write goes to a temp
// file in the same directory, is fsynced, then renamed into place, so a reader never sees half an object and
// a crash leaves at most a temp file (cleaned by prune). Same content, same name: writing it twice is harmless.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { readdir, readFile, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { digestOf } from "./reference.js";
import { ArtifactMissingError, type ArtifactInfo, type ArtifactStore } from "./store.js";

const DIGEST = /^[0-9a-f]{64}$/;

export function artifactsDir(home: string): string {
  return join(home, "artifacts");
}

export class LocalArtifactStore implements ArtifactStore {
  private readonly root: string;

  /** `dir`: the artifacts directory (artifactsDir(WEIR_HOME)). */
  constructor(readonly dir: string) {
    this.root = join(dir, "sha256");
  }

  pathOf(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`not a sha256 digest: ${JSON.stringify(digest)}`);
    return join(this.root, digest.slice(0, 2), digest);
  }

  async put(data: Uint8Array | string): Promise<string> {
    return this.putSync(data);
  }

  /** The worker writes before it reports success: synchronously, so nothing else of the try interleaves. */
  putSync(data: Uint8Array | string): string {
    const digest = digestOf(data);
    const path = this.pathOf(digest);
    if (existsFile(path)) return digest;
    const dir = join(this.root, digest.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    const temp = join(dir, `.tmp-${digest.slice(0, 8)}-${process.pid}-${randomBytes(4).toString("hex")}`);
    const fd = openSync(temp, "w");
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    return digest;
  }

  async get(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(digest));
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactMissingError(digest, this.dir);
      throw error;
    }
  }

  getSync(digest: string): Buffer {
    try {
      return readFileSync(this.pathOf(digest));
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactMissingError(digest, this.dir);
      throw error;
    }
  }

  async has(digest: string): Promise<boolean> {
    return existsFile(this.pathOf(digest));
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(digest));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async *list(): AsyncIterable<ArtifactInfo> {
    let shards: string[];
    try {
      shards = await readdir(this.root);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const shard of shards.sort()) {
      const names = await readdir(join(this.root, shard)).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (!DIGEST.test(name)) continue;
        const info = await stat(join(this.root, shard, name)).catch(() => null);
        if (info) yield { digest: name, size: info.size, modifiedMs: info.mtimeMs };
      }
    }
  }

  /** Temp files left by a crashed write, older than `beforeMs`: removed; returns how many. */
  async removeStaleTemps(beforeMs: number): Promise<number> {
    let removed = 0;
    const shards = await readdir(this.root).catch(() => [] as string[]);
    for (const shard of shards) {
      for (const name of await readdir(join(this.root, shard)).catch(() => [] as string[])) {
        if (!name.startsWith(".tmp-")) continue;
        const path = join(this.root, shard, name);
        const info = await stat(path).catch(() => null);
        if (info && info.mtimeMs < beforeMs) {
          await rm(path, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}
