// Imports a user's pipeline file in the worker and compiles its pipelines. The file is bundled by
// esbuild into a temporary module next to it (as Vite does for vite.config.ts), so bare imports
// ("weir", "zod") resolve exactly as from the source and no loader hook is needed; tsx is the fallback
// for a directory we can't write to. Modules are kept by content hash and by pipeline version, so a
// try of the version a run started with finds its functions while that module is loaded.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isPipeline, type Pipeline } from "../define/pipeline.js";
import type { PipelineSpec } from "../define/spec.js";
import { compilePipeline } from "../graph/compile-pipeline.js";
import { legacyGraphVersion } from "../graph/fingerprint.js";
import type { PipelineGraph } from "../graph/types.js";
import { withVersion } from "../graph/wire-graph.js";
import { validateSchedule } from "../time/schedule.js";
import { bundler } from "./bundler.js";
import type { LoadProblem, LoadResult } from "./protocol.js";

export interface LoadedPipeline {
  file: string;
  spec: PipelineSpec;
  graph: PipelineGraph;
}

interface LoadedFile {
  hash: string;
  result: LoadResult;
  pipelines: Map<string, LoadedPipeline>;
}

type Imported = { ok: true; hash: string; exports: Record<string, unknown> | null } | { ok: false; message: string };

export type FoundVersion = { ok: true; pipeline: LoadedPipeline } | { ok: false; message: string };

/** The loaded pipeline files of one worker process. */
export class PipelineModules {
  private readonly files = new Map<string, LoadedFile>();
  private readonly versions = new Map<string, LoadedPipeline>();
  private readonly inflight = new Map<string, Promise<LoadResult>>();

  /** Loads (or reloads, if its code changed) a file. Never throws: problems are in the result. */
  load(file: string): Promise<LoadResult> {
    const path = resolve(file);
    const running = this.inflight.get(path);
    if (running) return running;
    const loading = this.loadNow(path).finally(() => this.inflight.delete(path));
    this.inflight.set(path, loading);
    return loading;
  }

  /** The pipeline of the current version of a file (loading it if needed). */
  async current(file: string, pipelineId: string): Promise<{ ok: true; pipeline: LoadedPipeline } | { ok: false; message: string }> {
    const path = resolve(file);
    const result = this.files.get(path)?.result ?? (await this.load(path));
    const pipeline = this.files.get(path)?.pipelines.get(pipelineId);
    if (pipeline) return { ok: true, pipeline };
    return { ok: false, message: missingMessage(path, pipelineId, result) };
  }

  /** The pipeline at exactly `version` if this worker has it loaded (synchronous: the common case of a try). */
  loadedVersion(pipelineId: string, version: string): LoadedPipeline | undefined {
    return this.versions.get(versionKey(pipelineId, version));
  }

  /**
   * The pipeline at exactly `version`. Fast when that version is loaded (no fs work); otherwise the
   * file is loaded again, in case it changed back or this worker hasn't loaded it yet.
   */
  async version(file: string, pipelineId: string, version: string): Promise<FoundVersion> {
    const hit = this.versions.get(versionKey(pipelineId, version));
    if (hit) return { ok: true, pipeline: hit };
    const path = resolve(file);
    const result = await this.load(path);
    const found = this.versions.get(versionKey(pipelineId, version)) ?? this.legacyVersion(path, pipelineId, version);
    if (found) return { ok: true, pipeline: found };
    const now = result.pipelines.find((p) => p.id === pipelineId);
    if (now) {
      return {
        ok: false,
        message: `pipeline ${pipelineId} version ${version} is not the version in ${displayPath(path)} (${now.version}); the file changed since the run started`,
      };
    }
    return { ok: false, message: `pipeline ${pipelineId} version ${version} can't be loaded: ${missingMessage(path, pipelineId, result)}` };
  }

  /**
   * The loaded pipeline if `version` is its version as an earlier weir computed it (legacyGraphVersion): a
   * run started before an upgrade keeps running the same code. Computed only on such a miss.
   */
  private legacyVersion(path: string, pipelineId: string, version: string): LoadedPipeline | undefined {
    const file = this.files.get(path);
    const pipeline = file?.pipelines.get(pipelineId);
    if (file === undefined || pipeline === undefined) return undefined;
    const { version: _version, ...graph } = pipeline.graph;
    if (moduleVersion(legacyGraphVersion(graph), file.hash) !== version) return undefined;
    this.versions.set(versionKey(pipelineId, version), pipeline);
    return pipeline;
  }

  private async loadNow(path: string): Promise<LoadResult> {
    const previous = this.files.get(path);
    const imported = await importModule(path, previous?.hash);
    if (!imported.ok) return { file: path, pipelines: [], problems: [{ file: path, code: "import_failed", message: imported.message }] };
    if (imported.exports === null && previous) return previous.result;
    const loaded = compileExports(path, imported.exports ?? {}, imported.hash);
    this.files.set(path, { hash: imported.hash, ...loaded });
    for (const pipeline of loaded.pipelines.values()) this.versions.set(versionKey(pipeline.graph.id, pipeline.graph.version), pipeline);
    return loaded.result;
  }
}

function versionKey(pipelineId: string, version: string): string {
  return `${pipelineId}\n${version}`;
}

function missingMessage(path: string, pipelineId: string, result: LoadResult): string {
  const fileProblem = result.problems.find((p) => p.pipeline === undefined);
  if (fileProblem) return `${displayPath(path)}: ${fileProblem.message}`;
  const own = result.problems.find((p) => p.pipeline === pipelineId);
  if (own) return `pipeline ${pipelineId} in ${displayPath(path)} is invalid: ${own.message}`;
  return `${displayPath(path)} defines no pipeline ${pipelineId}`;
}

/**
 * A pipeline's version: its graph's fingerprint (tasks, code of their functions, options) and the
 * module's bundle, so a change anywhere in its code — a module-level helper or constant, a local
 * import — makes a new version, and a try never runs code other than its run's.
 */
function moduleVersion(graphVersion: string, bundleHash: string): string {
  return createHash("sha256").update(`${graphVersion}\n${bundleHash}`).digest("hex").slice(0, 16);
}

function compileExports(path: string, exports: Record<string, unknown>, bundleHash: string): { result: LoadResult; pipelines: Map<string, LoadedPipeline> } {
  const problems: LoadProblem[] = [];
  const graphs: PipelineGraph[] = [];
  const pipelines = new Map<string, LoadedPipeline>();

  // The same pipeline object may be exported under several names; two objects with one id is a problem.
  const found = new Map<string, { pipeline: Pipeline<unknown>; name: string }>();
  for (const [name, value] of Object.entries(exports)) {
    if (!isPipeline(value)) continue;
    const seen = found.get(value.id);
    if (seen === undefined) {
      found.set(value.id, { pipeline: value, name });
    } else if (seen.pipeline !== value) {
      problems.push({
        file: path,
        pipeline: value.id,
        code: "pipeline_duplicate",
        message: `pipeline id "${value.id}" is defined twice in this file (exports ${exportName(seen.name)} and ${exportName(name)})`,
      });
    }
  }
  if (found.size === 0) {
    problems.push({ file: path, code: "no_pipeline", message: "the file exports no pipeline (export default pipeline({ id: … }, (p) => { … }))" });
  }

  for (const { pipeline } of found.values()) {
    if (problems.some((p) => p.pipeline === pipeline.id && p.code === "pipeline_duplicate")) continue;
    const spec = pipeline.spec;
    let compiled: ReturnType<typeof compilePipeline>;
    try {
      compiled = compilePipeline(spec, path);
    } catch (error) {
      problems.push({ file: path, pipeline: pipeline.id, code: "compile_failed", message: `compiling the pipeline threw: ${oneLine(error)}` });
      continue;
    }
    const own: LoadProblem[] = compiled.problems.map((p) => ({ ...p, file: path, pipeline: pipeline.id }));
    const scheduleProblem = safeValidateSchedule(spec);
    if (scheduleProblem !== null && !own.some((p) => p.message === scheduleProblem)) {
      own.push({ file: path, pipeline: pipeline.id, code: "schedule_invalid", message: scheduleProblem });
    }
    problems.push(...own);
    // A pipeline with any problem is reported, not scheduled.
    if (compiled.graph && own.length === 0) {
      // Not a spread: the compiled graph's tasks are made only if read (a 100k-task graph is sent compact).
      const graph = withVersion(compiled.graph, moduleVersion(compiled.graph.version, bundleHash));
      graphs.push(graph);
      pipelines.set(pipeline.id, { file: path, spec, graph });
    }
  }
  return { result: { file: path, pipelines: graphs, problems }, pipelines };
}

function safeValidateSchedule(spec: PipelineSpec): string | null {
  const schedule = spec.options.schedule ?? null;
  try {
    return validateSchedule(schedule, spec.options.timezone ?? "UTC");
  } catch (error) {
    return `invalid schedule: ${oneLine(error)}`;
  }
}

function exportName(name: string): string {
  return name === "default" ? "default" : `"${name}"`;
}

/**
 * Bundles and imports `path`. Returns `exports: null` when the bundle's hash is `knownHash` (the
 * module already loaded is the same code, imports of local files included).
 */
async function importModule(path: string, knownHash: string | undefined): Promise<Imported> {
  process.setSourceMapsEnabled(true);
  const temp = join(dirname(path), `.${basename(path)}.weir-${process.pid}-${randomBytes(6).toString("hex")}.mjs`);
  const esbuild = await bundler();
  let code: Uint8Array;
  try {
    const built = await esbuild.build({
      entryPoints: [path],
      outfile: temp,
      bundle: true,
      format: "esm",
      platform: "node",
      packages: "external",
      sourcemap: "inline",
      target: "node20",
      write: false,
      logLevel: "silent",
      absWorkingDir: dirname(path),
    });
    const output = built.outputFiles[0];
    if (!output) return { ok: false, message: "esbuild produced no output" };
    code = output.contents;
  } catch (error) {
    return { ok: false, message: describeBuildError(error, path) };
  }
  const hash = createHash("sha256").update(code).digest("hex");
  if (hash === knownHash) return { ok: true, hash, exports: null };

  removeStaleTempModules(path);
  try {
    writeFileSync(temp, code, { flag: "wx" });
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === "EACCES" || errno === "EROFS" || errno === "EPERM") return importWithTsx(path, knownHash);
    return { ok: false, message: `can't write the bundled module next to the file: ${oneLine(error)}` };
  }
  try {
    const exports = (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
    return { ok: true, hash, exports };
  } catch (error) {
    return { ok: false, message: describeImportError(error, path, temp) };
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already removed
    }
  }
}

/**
 * A worker killed between writing its temporary module and deleting it (load timeout, kill -9) leaves
 * the file behind; the next load of the same source removes those whose process is gone.
 */
function removeStaleTempModules(path: string): void {
  const prefix = `.${basename(path)}.weir-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((name) => name.startsWith(prefix) && name.endsWith(".mjs"));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
      // another worker got there first
    }
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** For a read-only directory: tsx compiles in a loader hook instead. Slower, same semantics. */
async function importWithTsx(path: string, knownHash: string | undefined): Promise<Imported> {
  let hash: string;
  try {
    hash = createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch (error) {
    return { ok: false, message: oneLine(error) };
  }
  if (hash === knownHash) return { ok: true, hash, exports: null };
  try {
    const { tsImport } = await import("tsx/esm/api");
    const exports = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    return { ok: true, hash, exports };
  } catch (error) {
    return { ok: false, message: describeImportError(error, path, null) };
  }
}

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number } | null;
}

function describeBuildError(error: unknown, path: string): string {
  const errors = (error as { errors?: EsbuildMessage[] }).errors;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  if (!first) return oneLine(error);
  const loc = first.location;
  if (!loc) return first.text;
  const file = isAbsolute(loc.file) ? loc.file : resolve(dirname(path), loc.file);
  return `${firstLine(first.text)} (at ${displayPath(file)}:${loc.line}:${loc.column + 1})`;
}

function describeImportError(error: unknown, path: string, temp: string | null): string {
  let message = oneLine(error);
  if (temp !== null) message = message.split(pathToFileURL(temp).href).join(path).split(temp).join(path);
  const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
  // With source maps on, frames point at the user's .ts lines. Prefer a frame in the file itself,
  // else the first one outside node_modules, Node's internals and weir's own bundle.
  let fallback: string | null = null;
  for (const line of stack.split("\n").slice(1)) {
    const match = /^at (?:.*\()?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    let file = decodeURIComponent((match[1] as string).replace(/^file:\/\//, ""));
    if (temp !== null && file === temp) file = path;
    const where = `${message} (at ${displayPath(file)}:${match[2]}:${match[3]})`;
    if (file === path) return where;
    if (fallback === null && !file.includes("/node_modules/") && !file.includes(".weir-") && !WEIR_CODE.some((dir) => file.startsWith(dir))) fallback = where;
  }
  if (fallback !== null) return fallback;
  return message;
}

/** weir's own code (dist/ or src/): never the place a user's import went wrong. */
const WEIR_ROOT = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../.." : "..", import.meta.url));
const WEIR_CODE = [join(WEIR_ROOT, "dist") + sep, join(WEIR_ROOT, "src") + sep];

function oneLine(error: unknown): string {
  if (error instanceof Error) return `${error.name !== "Error" && !error.message.startsWith(error.name) ? `${error.name}: ` : ""}${firstLine(error.message)}`;
  return firstLine(String(error));
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/** A path as the user would write it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
