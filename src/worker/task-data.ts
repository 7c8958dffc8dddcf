// Data crossing a try's boundary beyond plain encoding: large outputs go to the artifact store (before the
// success is reported, so a committed success always has its object), inputs that are artifact references
// are read only by the tries that receive them, and a task's custom cache key is computed here, in the
// worker, because it is user code (docs/adr/0006).
import type { TaskSpec } from "../define/spec.js";
import type { TaskContext } from "../define/types.js";
import { artifactThreshold, formatArtifactRef, parseArtifactRef } from "../artifacts/reference.js";
import { LocalArtifactStore } from "../artifacts/local-store.js";
import type { TryJob } from "./protocol.js";
import { decodeValue } from "./value-codec.js";
import { createHash } from "node:crypto";

const stores = new Map<string, LocalArtifactStore>();
function storeAt(dir: string): LocalArtifactStore {
  let store = stores.get(dir);
  if (!store) {
    store = new LocalArtifactStore(dir);
    stores.set(dir, store);
  }
  return store;
}

let threshold: number | null = null;

/** An encoded input or item: inline, or an artifact reference read from the store now. */
export function decodeData(text: string, job: TryJob): unknown {
  const ref = parseArtifactRef(text);
  if (ref === null) return decodeValue(text);
  if (job.artifactsDir === undefined) throw new Error(`input is artifact sha256:${ref.digest}, but the try was given no artifact store`);
  return decodeValue(storeAt(job.artifactsDir).getSync(ref.digest).toString("utf8"));
}

/** An encoded output as the store keeps it: itself when small, else a reference to the object just written. */
export function storeOutput(encoded: string, job: TryJob): string {
  if (job.artifactsDir === undefined) return encoded;
  threshold ??= artifactThreshold();
  // Characters ≤ bytes: most outputs are decided without measuring their UTF-8 size.
  if (encoded.length <= threshold / 3) return encoded;
  const size = Buffer.byteLength(encoded, "utf8");
  if (size <= threshold) return encoded;
  const digest = storeAt(job.artifactsDir).putSync(encoded);
  return formatArtifactRef({ digest, size });
}

/** The cache key of a task with `cache: { key }`: the user's key, scoped to the pipeline and task. */
export async function customCacheKey(task: TaskSpec, ctx: TaskContext<unknown>, inputs: Record<string, unknown>, job: TryJob): Promise<string> {
  const cache = task.options.cache;
  const keyFn = typeof cache === "object" && cache !== null ? (cache.key as unknown) : undefined;
  if (typeof keyFn !== "function") throw new Error(`task ${task.id} has no cache key function`);
  const key: unknown = await (keyFn as (ctx: TaskContext<unknown>, inputs: Record<string, unknown>) => unknown)(ctx, inputs);
  if (typeof key !== "string") throw new TypeError(`the cache key function of task ${task.id} must return a string, got ${typeof key}`);
  return createHash("sha256").update(JSON.stringify(["custom", job.pipelineId, job.taskId, key])).digest("hex");
}
