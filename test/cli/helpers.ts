// Shared pieces of the CLI integration tests: the real `node bin/weir.js` as a child process, with
// cwd at the package root and WEIR_HOME in a fresh temp dir; the store read back through the CLI.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { isAlive } from "../process-alive.js";

export const ROOT = join(import.meta.dirname, "../..");
export const FIXTURES = join(import.meta.dirname, "fixtures");
/** A fixture's path as a user would type it from the package root. */
export const fixture = (name: string): string => relative(ROOT, join(FIXTURES, name));

if (!existsSync(join(ROOT, "dist/cli.js")) || !existsSync(join(ROOT, "dist/worker.js"))) {
  throw new Error("dist/ is missing: run `npm run build` before the CLI tests");
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Home {
  dir: string;
  db: string;
  weir: (args: readonly string[], env?: Record<string, string>) => Promise<CliResult>;
  remove: () => void;
}

/** A fresh WEIR_HOME and a `weir` that uses it. */
export function makeHome(): Home {
  const dir = mkdtempSync(join(tmpdir(), "weir-cli-"));
  return {
    dir,
    db: join(dir, "weir.db"),
    weir: (args, env = {}) => weir(args, { WEIR_HOME: dir, ...env }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `node bin/weir.js …` from the package root, as a user would; never rejects. */
export function weir(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...env };
  delete childEnv.WEIR_DATABASE_URL;
  delete childEnv.WEIR_DEBUG;
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: childEnv, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
    });
  });
}

/** A temp dir inside test/cli (so `import "weir"` resolves via the package self-reference) for files written at test time. */
export function makeTempDir(): { dir: string; rel: string; write: (name: string, text: string) => string; remove: () => void } {
  const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    rel: relative(ROOT, dir),
    write: (name, text) => {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return relative(ROOT, path);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RunDocument {
  run: { id: string; pipeline: string; state: string; logicalDate: string; startedAt: string | null; endedAt: string | null };
  tasks: { id: string; mapIndex: number; state: string; tries: number; cached: boolean; startedAt: string | null; endedAt: string | null }[];
}

export const RUN_KEYS = ["endedAt", "id", "logicalDate", "pipeline", "startedAt", "state"];
export const TASK_KEYS = ["cached", "endedAt", "id", "mapIndex", "startedAt", "state", "tries"];

/** The run id `weir run` announces on stderr: `weir: run <id> of <pipeline> …`. */
export function runIdOf(result: CliResult): string {
  const match = /^weir: run (\S+) of /m.exec(result.stderr);
  if (!match) throw new Error(`no run id in the output of weir run:\n${result.stderr}`);
  return match[1] as string;
}

/** `weir tasks <run> --json`, parsed; fails the test when the command does. */
export async function runDocument(home: Home, runId: string): Promise<RunDocument> {
  const result = await home.weir(["tasks", runId, "--json"]);
  if (result.code !== 0) throw new Error(`weir tasks ${runId} --json exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as RunDocument;
}

/** Task id → its instance (unmapped tasks only). */
export function byTask(doc: RunDocument): Map<string, RunDocument["tasks"][number]> {
  return new Map(doc.tasks.map((t) => [t.id, t]));
}

/** Task id → state. */
export function statesOf(doc: RunDocument): Record<string, string> {
  return Object.fromEntries(doc.tasks.map((t) => [t.id, t.state]));
}

/** `weir logs <run> <task> [--try N]`. */
export function logs(home: Home, runId: string, taskId: string, tryNumber?: number): Promise<CliResult> {
  return home.weir(["logs", runId, taskId, ...(tryNumber === undefined ? [] : ["--try", String(tryNumber)])]);
}

/** The store has no run of `pipelineId`: no weir.db at all, an unknown pipeline, or zero runs. */
export async function expectNoRuns(home: Home, pipelineId: string): Promise<void> {
  if (!existsSync(home.db)) return;
  const result = await home.weir(["runs", pipelineId, "--json"]);
  if (result.code === 2 && /no pipeline/.test(result.stderr)) return;
  if (result.code !== 0) throw new Error(`weir runs ${pipelineId} --json exited ${result.code}: ${result.stderr}`);
  const runs = (JSON.parse(result.stdout) as { runs: unknown[] }).runs;
  if (runs.length !== 0) throw new Error(`expected no runs of ${pipelineId}, found ${runs.length}`);
}

/** Asserts the contract for bad input: exit 2, one line on stderr, no stack trace, nothing on stdout. */
export function badInputLine(result: CliResult): string {
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  if (result.code !== 2) throw new Error(`expected exit 2, got ${result.code}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`);
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${result.stderr}`);
  if (result.stderr.includes("    at ")) throw new Error(`stack trace on stderr:\n${result.stderr}`);
  if (result.stdout !== "") throw new Error(`expected nothing on stdout, got:\n${result.stdout}`);
  return lines[0] as string;
}

/** Waits for a condition by polling; never a fixed sleep standing in for one. */
export async function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { isAlive };

/** Live processes whose environment has WEIR_HOME=`home`: workers and whatever their tasks started. */
export function processesOf(home: string): number[] {
  const needle = `WEIR_HOME=${home}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(needle) && isAlive(pid)) pids.push(pid);
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/** The progress lines `weir run` prints when piped: `<ISO time> <task> <state>[ · …]`. */
export function progressLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l));
}
