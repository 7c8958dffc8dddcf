// Code hashes and the pipeline version: a run records the version it started with, and the cache key
// of a task includes its code hash, so both must be stable across processes and machines.
import { createHash } from "node:crypto";
import type { PipelineGraph } from "./types.js";

const HASH_CHARS = 16;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, HASH_CHARS);
}

/** JSON with object keys sorted at every level (undefined members dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** Code version of a function task: its source text. */
export function hashFunction(fn: unknown): string {
  return sha256(`function:${typeof fn === "function" ? fn.toString() : String(fn)}`);
}

/** Code version of a shell task: command, environment and working directory. */
export function hashShell(command: unknown, env: Record<string, string> | undefined, cwd: string | undefined): string {
  return sha256(`shell:${canonicalJson({ command: command ?? null, env: env ?? null, cwd: cwd ?? null })}`);
}

/**
 * Fingerprint of a graph: everything but `version` itself and `file` (the same pipeline checked out
 * at another path on another worker machine is the same version).
 */
export function graphVersion(graph: Omit<PipelineGraph, "version">): string {
  const { file: _file, ...rest } = graph as Omit<PipelineGraph, "version"> & { version?: string };
  delete (rest as { version?: string }).version;
  return sha256(canonicalJson(rest));
}
