// Turns a claimed task instance into the job a worker runs: run facts, typed inputs from upstream
// outputs (kept in memory when small, read from the store when not), the element of a mapped instance,
// and the try's log path.
import type { Decision, Expansion, RunSnapshot } from "../engine/types.js";
import { instanceKey } from "../engine/types.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { dirname, sep } from "node:path";
import { isValidId } from "../common/ids.js";
import { tryLogPath } from "../observe/try-log-path.js";
import type { RunRecord, Store } from "../store/types.js";
import { tryKeyOf, type TryJob } from "../worker/protocol.js";
import { decodeValue, encodeValue } from "../worker/value-codec.js";
import { artifactsDir, LocalArtifactStore } from "../artifacts/local-store.js";
import { parseArtifactRef } from "../artifacts/reference.js";

/** Outputs bigger than this are read from the store when needed instead of kept in memory. */
export const OUTPUT_CACHE_MAX_CHARS = 64 * 1024;
/** A run keeps at most this many characters of outputs in memory (a 100k-way mapped task can't fill the heap). */
const RUN_OUTPUTS_MAX_CHARS = 64 * 1024 * 1024;

export interface PendingJob {
  job: TryJob;
  /** Input name → upstream task id of outputs not in memory: read before submitting. */
  missing: ReadonlyMap<string, string>;
  /** Inputs and items that need outputs of mapped instances from the store: filled before submitting. */
  later: ((store: Store) => Promise<void>)[];
}

/**
 * What a run's tasks produced, as the coordinator needs it to build jobs: small encoded outputs by instance
 * key, and the decoded arrays of the unmapped tasks something maps over (their elements become items).
 */
export class RunOutputs {
  private readonly encoded = new Map<string, string>();
  private cachedChars = 0;
  private readonly arrays = new Map<string, unknown[] | null>();
  /** Unmapped tasks some task maps over: their success carries the output's length to the engine. */
  private readonly sources = new Set<string>();

  /**
   * `inline` turns an output that is an artifact reference into the encoded value (read from the artifact
   * store): only for what the scheduler itself must decode — map sources and mapped results it collects.
   */
  constructor(
    private readonly tasks: ReadonlyMap<string, TaskNode>,
    private readonly inline: (output: string) => string = (output) => output,
  ) {
    for (const task of tasks.values()) {
      for (const source of mapSourcesOf(task)) if (!isMapped(tasks.get(source))) this.sources.add(source);
    }
  }

  /**
   * Keeps a successful try's output; for a map source returns its length (null: not an array), which the
   * engine needs to expand the tasks mapped over it. Undefined for other tasks.
   */
  recordSuccess(taskId: string, mapIndex: number, output: string | undefined): number | null | undefined {
    const key = instanceKey(taskId, mapIndex);
    this.cachedChars -= this.encoded.get(key)?.length ?? 0;
    if (output !== undefined && output.length <= OUTPUT_CACHE_MAX_CHARS && this.cachedChars + output.length <= RUN_OUTPUTS_MAX_CHARS) {
      this.encoded.set(key, output);
      this.cachedChars += output.length;
    } else {
      this.encoded.delete(key);
    }
    if (mapIndex !== -1 || !this.sources.has(taskId)) return undefined;
    let value: unknown;
    try {
      value = output === undefined ? undefined : decodeValue(this.inline(output));
    } catch {
      value = undefined;
    }
    const array = Array.isArray(value) ? value : null;
    this.arrays.set(taskId, array);
    return array === null ? null : array.length;
  }

  /**
   * A decision applied live (a clear or a mark from `weir dev`'s UI or API) took instances out of success,
   * or collapsed a mapped task: their outputs are no longer theirs. Forgotten, so a downstream that runs
   * before they succeed again (a trigger rule such as all_done) reads what the store has, not the old value.
   */
  forgetReplaced(decision: Decision): void {
    for (const collapse of decision.collapses ?? []) for (let i = 0; i < collapse.count; i++) this.forget(collapse.taskId, i);
    for (const t of decision.transitions) if (t.from === "success" && t.to !== "success") this.forget(t.taskId, t.mapIndex);
  }

  forget(taskId: string, mapIndex: number): void {
    const key = instanceKey(taskId, mapIndex);
    this.cachedChars -= this.encoded.get(key)?.length ?? 0;
    this.encoded.delete(key);
    if (mapIndex === -1) this.arrays.delete(taskId);
  }

  /** The map sources' lengths, for a snapshot rebuilt from the store. */
  lengths(): Map<string, number | null> {
    const lengths = new Map<string, number | null>();
    for (const [taskId, array] of this.arrays) lengths.set(taskId, array === null ? null : array.length);
    return lengths;
  }

  /** Loads what a resumed or rebuilt run needs: outputs of needed and mapped-over tasks, map sources decoded. */
  async load(store: Store, runId: string, graph: PipelineGraph): Promise<void> {
    const unmapped = neededOutputs(graph).filter((id) => !isMapped(this.tasks.get(id)));
    const outputs = await store.getOutputs(runId, [...new Set([...unmapped, ...this.sources])]);
    for (const [taskId, output] of outputs) this.recordSuccess(taskId, -1, output);
    for (const taskId of neededOutputs(graph)) {
      if (!isMapped(this.tasks.get(taskId))) continue;
      for (const [mapIndex, output] of await store.getMappedOutputs(runId, taskId)) this.recordSuccess(taskId, mapIndex, output);
    }
  }

  get(taskId: string, mapIndex: number): string | undefined {
    return this.encoded.get(instanceKey(taskId, mapIndex));
  }

  /** Whether the scheduler may decode this instance's output itself: a map source's, or a mapped instance's (collected, or mapped over). */
  decodesOutputOf(taskId: string, mapIndex: number): boolean {
    return mapIndex >= 0 || this.sources.has(taskId);
  }

  array(taskId: string): unknown[] | null | undefined {
    return this.arrays.get(taskId);
  }

  /** An encoded output ready to decode here (an artifact reference read from the artifact store). */
  decode(output: string): unknown {
    return decodeValue(this.inline(output));
  }
}

export function buildJob(home: string, run: RunRecord, task: TaskNode, outputs: RunOutputs, snapshot: RunSnapshot, mapIndex: number, tryNumber: number, tasks: ReadonlyMap<string, TaskNode>): PendingJob {
  const inputs: Record<string, string> = {};
  // Most jobs read nothing from the store: they share one empty map (never written) instead of a new one each.
  let missing: Map<string, string> | null = null;
  const later: PendingJob["later"] = [];
  for (const name in task.needs) {
    const upstream = task.needs[name] as string;
    if (isMapped(tasks.get(upstream))) {
      collectMapped(run.id, upstream, snapshot.expansions.get(upstream), outputs, inputs, name, later);
      continue;
    }
    const output = outputs.get(upstream, -1);
    if (output === undefined) (missing ??= new Map()).set(name, upstream);
    else inputs[name] = output;
  }
  const job: TryJob = {
    tryKey: tryKeyOf(run.id, task.id, mapIndex, tryNumber),
    file: run.file,
    pipelineId: run.pipelineId,
    version: run.version,
    taskId: task.id,
    mapIndex,
    tryNumber,
    // Counted from the instance's last clear (Airflow's max_tries): tries before it use no retries.
    maxTries: task.retry.retries + 1 + (snapshot.instances.get(instanceKey(task.id, mapIndex))?.retryBase ?? 0),
    runId: run.id,
    logicalDateMs: run.logicalDateMs,
    intervalStartMs: run.intervalStartMs,
    intervalEndMs: run.intervalEndMs,
    params: run.params,
    inputs,
    logPath: logPathOf(home, run, task.id, mapIndex, tryNumber),
    timeoutMs: task.timeoutMs,
    idempotencyKey: `${run.id}/${task.id}/${mapIndex}`,
    artifactsDir: artifactsDirOf(home),
  };
  const pending: PendingJob = { job, missing: missing ?? NOTHING_MISSING, later };
  if (mapIndex >= 0 && isMapped(task)) setItem(pending, task, snapshot, outputs, tasks);
  return pending;
}

/**
 * tryLogPath's result, with the run's directory joined (and its ids checked) once per run rather than once
 * per job; a task id is checked as tryLogPath checks it (no separator, not "." or "..").
 */
const runLogDirs = new WeakMap<RunRecord, RunLogDir>();
/** A class, not a literal: made once per run, so a literal's boilerplate (made on its second run) would deoptimize buildJob. */
class RunLogDir {
  readonly validTasks = new Set<string>();
  constructor(
    readonly home: string,
    readonly dir: string,
  ) {}
}
/** A function of its own: it runs once per run, so inlined in buildJob it met optimized code without type feedback (a deopt each run). */
function newRunLogDir(home: string, run: RunRecord, taskId: string, mapIndex: number, tryNumber: number): RunLogDir {
  const made = new RunLogDir(home, dirname(dirname(dirname(tryLogPath(home, run.pipelineId, run.id, taskId, mapIndex, tryNumber)))));
  runLogDirs.set(run, made);
  return made;
}
function logPathOf(home: string, run: RunRecord, taskId: string, mapIndex: number, tryNumber: number): string {
  let cached = runLogDirs.get(run);
  if (cached === undefined || cached.home !== home) cached = newRunLogDir(home, run, taskId, mapIndex, tryNumber);
  // The id's regex costs more than the rest of the path (it showed in the dispatch profile): once per task.
  if (!cached.validTasks.has(taskId)) {
    if (!isValidId(taskId)) return tryLogPath(home, run.pipelineId, run.id, taskId, mapIndex, tryNumber);
    cached.validTasks.add(taskId);
  }
  if (!Number.isInteger(mapIndex) || mapIndex < -1 || !Number.isInteger(tryNumber) || tryNumber < 1) return tryLogPath(home, run.pipelineId, run.id, taskId, mapIndex, tryNumber);
  return `${cached.dir}${sep}${taskId}${sep}${mapIndex}${sep}${tryNumber}.log`;
}

const NOTHING_MISSING: ReadonlyMap<string, string> = new Map();

/** `artifactsDir(home)`, joined once per home rather than once per job (path.join shows in the dispatch profile). */
let artifactsHome: string | undefined;
let artifactsDirOfHome = "";
function artifactsDirOf(home: string): string {
  if (home !== artifactsHome) {
    artifactsHome = home;
    artifactsDirOfHome = artifactsDir(home);
  }
  return artifactsDirOfHome;
}

/** A downstream of a mapped task receives the results of its instances that succeeded, in map-index order. */
function collectMapped(runId: string, upstream: string, expansion: Expansion | undefined, outputs: RunOutputs, inputs: Record<string, string>, name: string, later: PendingJob["later"]): void {
  const count = expansion?.count ?? 0;
  const texts: (string | undefined)[] = [];
  let complete = true;
  for (let i = 0; i < count; i++) {
    const text = outputs.get(upstream, i);
    texts.push(text);
    if (text === undefined) complete = false;
  }
  const encode = (all: (string | undefined)[]): string => encodeValue(all.filter((t) => t !== undefined).map((t) => outputs.decode(t as string)), `the results of mapped task "${upstream}"`);
  if (complete) {
    inputs[name] = encode(texts);
    return;
  }
  // Some results were too big to keep in memory (or the run was resumed): read them all at once.
  later.push(async (store) => {
    const stored = await store.getMappedOutputs(runId, upstream);
    inputs[name] = encode(texts.map((t, i) => t ?? stored.get(i)));
  });
}

/** The element a mapped instance works on: of one array, or `{ name: element }` of several. */
function setItem(pending: PendingJob, task: TaskNode, snapshot: RunSnapshot, outputs: RunOutputs, tasks: ReadonlyMap<string, TaskNode>): void {
  const mapping = mappingOf(task);
  if (mapping === null) return;
  const { job } = pending;
  const names = Object.keys(mapping.over);
  const sources = Object.values(mapping.over);
  const expansion = snapshot.expansions.get(task.id);
  const shape = mapping.mode === "product" ? (expansion?.shape ?? null) : null;
  const indexOf = (position: number): number => {
    if (shape === null) return job.mapIndex;
    let stride = 1;
    for (let p = shape.length - 1; p > position; p--) stride *= shape[p] as number;
    return Math.floor(job.mapIndex / stride) % (shape[position] as number);
  };
  // One element per source: mapped sources give their instance's output (already encoded), arrays an element.
  const elements: { encoded?: string; value?: unknown; fromStore?: { taskId: string; index: number } }[] = sources.map((source, position) => {
    const index = indexOf(position);
    if (isMapped(tasks.get(source))) {
      const encoded = outputs.get(source, index);
      return encoded === undefined ? { fromStore: { taskId: source, index } } : { encoded };
    }
    return { value: outputs.array(source)?.[index] };
  });
  const assemble = (): void => {
    if (mapping.mode === "item") {
      const only = elements[0];
      job.item = only?.encoded ?? encodeValue(only?.value, `element ${job.mapIndex} of task "${sources[0]}"`);
      return;
    }
    const item: Record<string, unknown> = {};
    elements.forEach((element, i) => {
      item[names[i] as string] = element.encoded !== undefined ? outputs.decode(element.encoded) : element.value;
    });
    job.item = encodeValue(item, `element ${job.mapIndex} of task "${task.id}"`);
  };
  const fromStore = elements.filter((e) => e.fromStore !== undefined);
  if (fromStore.length === 0) {
    assemble();
    return;
  }
  pending.later.push(async (store) => {
    for (const element of fromStore) {
      const { taskId, index } = element.fromStore as { taskId: string; index: number };
      const stored = (await store.getMappedOutputs(job.runId, taskId, index)).get(index);
      if (stored !== undefined) element.encoded = stored;
    }
    assemble();
  });
}

/** Fills inputs whose outputs were not in memory; an upstream without output leaves its input undefined. */
export async function readMissingInputs(store: Store, pending: PendingJob): Promise<void> {
  if (pending.missing.size > 0) {
    const outputs = await store.getOutputs(pending.job.runId, [...new Set(pending.missing.values())]);
    for (const [name, upstream] of pending.missing) {
      const output = outputs.get(upstream);
      if (output !== undefined) pending.job.inputs[name] = output;
    }
  }
  for (const fill of pending.later) await fill(store);
}

export function needsStore(pending: PendingJob): boolean {
  return pending.missing.size > 0 || pending.later.length > 0;
}

/** Upstream task ids whose outputs some task of the graph needs or maps over. */
export function neededOutputs(graph: PipelineGraph): string[] {
  const needed = new Set<string>();
  for (const task of graph.tasks) {
    for (const up of Object.values(task.needs)) needed.add(up);
    for (const up of mapSourcesOf(task)) needed.add(up);
  }
  return [...needed];
}

/** A task's mapping, also for graphs that only have `map` (one array). */
export function mappingOf(task: TaskNode | undefined): { mode: "item" | "zip" | "product"; over: Record<string, string>; maxParallel: number | null } | null {
  if (!task) return null;
  if (task.mapping) return task.mapping;
  return task.map ? { mode: "item", over: { item: task.map }, maxParallel: null } : null;
}

function mapSourcesOf(task: TaskNode): string[] {
  const mapping = mappingOf(task);
  return mapping === null ? [] : Object.values(mapping.over);
}

export function isMapped(task: TaskNode | undefined): boolean {
  return mappingOf(task) !== null;
}

/** The parts of a try key (tryKeyOf's inverse); null unless it has exactly four. Once per result: no split array. */
export function parseTryKey(tryKey: string): { runId: string; taskId: string; mapIndex: number; tryNumber: number } | null {
  const a = tryKey.indexOf("/");
  const b = a < 0 ? -1 : tryKey.indexOf("/", a + 1);
  const c = b < 0 ? -1 : tryKey.indexOf("/", b + 1);
  if (c < 0 || tryKey.indexOf("/", c + 1) >= 0) return null;
  return { runId: tryKey.slice(0, a), taskId: tryKey.slice(a + 1, b), mapIndex: Number(tryKey.slice(b + 1, c)), tryNumber: Number(tryKey.slice(c + 1)) };
}

/** Reads an output that is an artifact reference from WEIR_HOME/artifacts; an inline output is returned as is. */
export function artifactInliner(home: string): (output: string) => string {
  const store = new LocalArtifactStore(artifactsDir(home));
  return (output) => {
    const ref = parseArtifactRef(output);
    return ref === null ? output : store.getSync(ref.digest).toString("utf8");
  };
}
