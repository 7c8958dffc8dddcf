// Code hashes and the pipeline version: a run records the version it started with, and the cache key
// of a task includes its code hash, so both must be stable across processes and machines.
import { createHash, type Hash } from "node:crypto";
import type { PipelineGraph, TaskNode } from "./types.js";
import { sameTemplate } from "./wire-graph.js";

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
// The last function's source and hash: tasks made in a loop come one after another, and comparing the
// source with the last one spares a prefixed copy of it and a map lookup per task.
let lastSource: string | null = null;
let lastHash = "";

/** Code version of a function task: its source text. */
export function hashFunction(fn: unknown): string {
  const text = typeof fn === "function" ? fn.toString() : String(fn);
  if (text === lastSource) return lastHash;
  const source = `function:${text}`;
  let hash = functionHashes.get(source);
  if (hash === undefined) {
    hash = sha256(source);
    if (functionHashes.size >= FUNCTION_HASHES_MAX) functionHashes.clear();
    functionHashes.set(source, hash);
  }
  lastSource = text;
  lastHash = hash;
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
  const hasher = new GraphHasher(graph);
  for (const task of graph.tasks) hasher.add(task);
  return hasher.digest();
}

/**
 * graphVersion written as the graph is compiled: the pipeline's options first, then one task at a time,
 * so the compiler can drop each task's object once it is written (its tasks live on in their compact form).
 */
export class GraphHasher {
  private readonly hash: Hash;
  private readonly texts = new TaskTexts();
  private text = "";

  /** `graph`: the pipeline's options; its `tasks`, `order`, `file` and `version` are not read. */
  constructor(graph: Omit<PipelineGraph, "version" | "tasks" | "order"> & { tasks?: unknown; order?: unknown; version?: unknown }) {
    const { file: _file, tasks: _tasks, order: _order, version: _version, ...rest } = graph;
    this.hash = createHash("sha256").update(`graph/2\n${canonicalJson(rest)}\n`);
  }

  add(task: TaskNode): void {
    this.text += this.texts.line(task);
    if (this.text.length >= 1 << 20) {
      this.hash.update(this.text);
      this.text = "";
    }
  }

  /** The version. The order is not written: it follows from the tasks. */
  digest(): string {
    return this.hash.update(this.text).digest("hex").slice(0, HASH_CHARS);
  }
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
 * a cache, alerts) written once per graph and then by number. Tasks alike but for id and edges come in
 * runs (a loop): the part of the line after the edges is the previous task's text when every field in it
 * is the same value, which spares building ~100 characters and three lookups per task.
 */
class TaskTexts {
  private readonly parts = new SharedParts();
  private previous: TaskNode | null = null;
  private previousTail = "";

  line(task: TaskNode): string {
    const upstream = task.upstream;
    const after = task.after;
    const upstreamText = joinIds(upstream);
    const needs = task.needs;
    let needsText = "{}";
    for (const _name in needs) {
      needsText = canonicalJson(needs);
      break;
    }
    return `${task.id}|${task.kind}|${upstreamText}|${needsText}|${after === upstream ? upstreamText : joinIds(after)}|${this.tail(task)}`;
  }

  private tail(task: TaskNode): string {
    const previous = this.previous;
    if (previous !== null && sameTail(task, previous)) return this.previousTail;
    const parts = this.parts;
    const known = parts.size;
    const part = (value: object | null | undefined): string => (value === undefined ? "~" : value === null ? "null" : parts.text(value));
    const tail =
      `${task.map}|${task.mapping === undefined ? "~" : canonicalJson(task.mapping)}|${task.branch === undefined ? "~" : String(task.branch)}|` +
      `${task.trigger}|${part(task.retry)}|${task.timeoutMs}|${task.queue}|${task.pool}|${task.priority}|${part(task.cache)}|` +
      `${task.description === null ? "null" : JSON.stringify(task.description)}|${task.command === null ? "null" : JSON.stringify(task.command)}|` +
      `${task.codeHash}|${part(task.alerts)}|${task.subPipeline === undefined ? "~" : canonicalJson(task.subPipeline)}|` +
      `${task.sensor === undefined ? "~" : canonicalJson(task.sensor)}\n`;
    // A tail that wrote a part for the first time (`#n=…`) is written by number the next time: not reused.
    this.previous = parts.size === known ? task : null;
    this.previousTail = tail;
    return tail;
  }
}

/** Ids joined by commas (one id: the id itself, no new string). */
function joinIds(ids: readonly string[]): string {
  const first = ids[0];
  if (typeof first === "string") {
    if (ids.length === 1) return first;
    // Two (a layered DAG's usual task): one concatenation, not a join.
    const second = ids[1];
    if (ids.length === 2 && typeof second === "string") return `${first},${second}`;
  }
  return ids.join(",");
}

/**
 * The fields written after the edges, compared by identity (objects are never mutated once compiled): a
 * template's fields (sameTemplate: every field of a plain task but its id, edges, needs, map, description
 * and command; it also compares `kind`, written before the edges, which only costs a rewrite) and the rest.
 */
function sameTail(a: TaskNode, b: TaskNode): boolean {
  return (
    sameTemplate(a, b) &&
    a.map === b.map &&
    a.mapping === b.mapping &&
    a.branch === b.branch &&
    a.description === b.description &&
    a.command === b.command &&
    a.subPipeline === b.subPipeline &&
    a.sensor === b.sensor
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

  /** How many distinct parts were written. */
  get size(): number {
    return this.byJson.size;
  }

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
