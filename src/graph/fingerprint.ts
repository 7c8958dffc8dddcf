// Code hashes and the pipeline version: a run records the version it started with, and the cache key
// of a task includes its code hash, so both must be stable across processes and machines.
import { createHash } from "node:crypto";
import type { PipelineGraph, TaskNode } from "./types.js";

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

// A pipeline file often defines thousands of tasks with the same code (a loop): hash each source once.
const functionHashes = new Map<string, string>();
const FUNCTION_HASHES_MAX = 10_000;

/** Code version of a function task: its source text. */
export function hashFunction(fn: unknown): string {
  const source = `function:${typeof fn === "function" ? fn.toString() : String(fn)}`;
  let hash = functionHashes.get(source);
  if (hash === undefined) {
    hash = sha256(source);
    if (functionHashes.size >= FUNCTION_HASHES_MAX) functionHashes.clear();
    functionHashes.set(source, hash);
  }
  return hash;
}

/** Code version of a shell task: command, environment and working directory. */
export function hashShell(command: unknown, env: Record<string, string> | undefined, cwd: string | undefined): string {
  return sha256(`shell:${canonicalJson({ command: command ?? null, env: env ?? null, cwd: cwd ?? null })}`);
}

/**
 * Fingerprint of a graph: everything but `version` itself and `file` (the same pipeline checked out
 * at another path on another worker machine is the same version). Stable across processes and machines:
 * the graph is built in a fixed order from the module, and pipeline-level options are written with sorted
 * keys. Tasks are written field by field (see taskText) rather than as one canonical JSON text: a 100k-task
 * graph is ~50 MB of JSON, which took seconds to sort and hash; their shared parts are written once each.
 */
export function graphVersion(graph: Omit<PipelineGraph, "version">): string {
  const { file: _file, tasks, order: _order, ...rest } = graph as Omit<PipelineGraph, "version"> & { version?: string };
  delete (rest as { version?: string }).version;
  const hash = createHash("sha256").update(`graph/2\n${canonicalJson(rest)}\n`);
  const parts = new SharedParts();
  let text = "";
  for (const task of tasks) {
    text += taskText(task, parts);
    if (text.length >= 1 << 20) {
      hash.update(text);
      text = "";
    }
  }
  // The order is not written: it follows from the tasks.
  return hash.update(text).digest("hex").slice(0, HASH_CHARS);
}

/**
 * The fingerprint before graph/2 (canonical JSON of the whole graph, seconds for 100k tasks): only for a
 * run started by an older version of weir, whose tries ask for the version it recorded then.
 */
export function legacyGraphVersion(graph: Omit<PipelineGraph, "version">): string {
  const { file: _file, ...rest } = graph as Omit<PipelineGraph, "version"> & { version?: string };
  delete (rest as { version?: string }).version;
  return sha256(canonicalJson(rest));
}

/**
 * One line for a task: every field of TaskNode (fingerprint.test.ts checks that each one counts). Ids
 * are valid ids (no separators inside); free text and objects are JSON, shared objects (a retry policy,
 * a cache, alerts) written once per graph and then by number.
 */
function taskText(task: TaskNode, parts: SharedParts): string {
  const part = (value: object | null | undefined): string => (value === undefined ? "~" : value === null ? "null" : parts.text(value));
  const needs = task.needs;
  let needsText = "{}";
  for (const _name in needs) {
    needsText = canonicalJson(needs);
    break;
  }
  return (
    `${task.id}|${task.kind}|${task.upstream.join(",")}|${needsText}|${task.after.join(",")}|${task.map}|` +
    `${task.mapping === undefined ? "~" : canonicalJson(task.mapping)}|${task.branch === undefined ? "~" : String(task.branch)}|` +
    `${task.trigger}|${part(task.retry)}|${task.timeoutMs}|${task.queue}|${task.pool}|${task.priority}|${part(task.cache)}|` +
    `${task.description === null ? "null" : JSON.stringify(task.description)}|${task.command === null ? "null" : JSON.stringify(task.command)}|` +
    `${task.codeHash}|${part(task.alerts)}|${task.subPipeline === undefined ? "~" : canonicalJson(task.subPipeline)}|` +
    `${task.sensor === undefined ? "~" : canonicalJson(task.sensor)}\n`
  );
}

/**
 * An object's JSON the first time its content is seen in a graph, its number afterwards. Numbered by
 * content, not identity: a graph whose equal parts are one object (as the compiler makes them) and a copy
 * of it where they are not have the same fingerprint.
 */
class SharedParts {
  private readonly byObject = new Map<object, string>();
  private readonly byJson = new Map<string, string>();

  text(value: object): string {
    let json = this.byObject.get(value);
    if (json === undefined) {
      json = canonicalJson(value);
      this.byObject.set(value, json);
    }
    const number = this.byJson.get(json);
    if (number !== undefined) return number;
    this.byJson.set(json, `#${this.byJson.size}`);
    return `#${this.byJson.size - 1}=${json}`;
  }
}
