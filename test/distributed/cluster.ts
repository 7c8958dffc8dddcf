// A small cluster of real processes for the distributed tests: `weir scheduler --executor store` and
// `weir worker` processes sharing one store (a SQLite file in WEIR_HOME, or a Postgres database), and the
// CLI run against it. Pipeline files live in a temp dir inside the package so `import "weir"` resolves.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { TryRecord } from "../../src/store/types.js";
import { freshPostgresUrl } from "../support/postgres.js";

export const ROOT = join(import.meta.dirname, "../..");

if (!existsSync(join(ROOT, "dist/cli.js")) || !existsSync(join(ROOT, "dist/worker.js"))) {
  throw new Error("dist/ is missing: run `npm run build` before the distributed tests");
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Cluster {
  readonly home = mkdtempSync(join(tmpdir(), "weir-dist-"));
  /** Pipeline files (inside the package), and where tasks leave marks saying which worker ran which try. */
  readonly pipelines = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  readonly marks = join(this.home, "marks");
  private readonly procs: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  private readonly databaseUrl: string;

  /** `databaseUrl` undefined: a SQLite file, which workers (each with a WEIR_HOME of its own) reach by path. */
  constructor(databaseUrl: string | undefined) {
    this.databaseUrl = databaseUrl ?? join(this.home, "weir.db");
    mkdirSync(this.pipelines, { recursive: true });
    mkdirSync(this.marks, { recursive: true });
  }

  /** A run's tries as the store keeps them (`worker`: who ran each). */
  async tries(runId: string): Promise<TryRecord[]> {
    const store = await openStore(this.databaseUrl, this.home, { autoMigrate: false });
    try {
      return await store.listTries(runId);
    } finally {
      await store.close();
    }
  }

  writePipeline(name: string, text: string, dir = this.pipelines): void {
    writeFileSync(join(dir, name), text.replaceAll("__MARKS__", JSON.stringify(this.marks)));
  }

  /** A file in WEIR_HOME (what a task may be waiting for). */
  touch(name: string): void {
    writeFileSync(join(this.home, name), "");
  }

  /** Files tasks wrote in marks/: `<task>-<try>-<worker name>`. */
  markList(): string[] {
    return readdirSync(this.marks).sort();
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    // The test runner's own WEIR_EXECUTOR doesn't leak in; one the test asks for does.
    const { WEIR_EXECUTOR: _outer, ...outer } = process.env;
    const env: NodeJS.ProcessEnv = { ...outer, NO_COLOR: "1", WEIR_HOME: this.home, WEIR_WORKER_HEARTBEAT_MS: "300", ...extra };
    env.WEIR_DATABASE_URL = this.databaseUrl;
    return env;
  }

  start(args: readonly string[], extraEnv: Record<string, string> = {}): Proc {
    const child = spawn(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: this.env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d));
    child.stderr?.on("data", (d: Buffer) => (output += d));
    this.procs.push(child);
    return { child, output: () => output };
  }

  scheduler(extraEnv: Record<string, string> = {}): Proc {
    return this.start(["scheduler", relative(ROOT, this.pipelines), "--executor", "store"], extraEnv);
  }

  /**
   * A worker whose tasks see WEIR_TEST_WORKER=name, with a WEIR_HOME of its own (its try logs stay there:
   * `weir logs` must find them in the store), loading pipeline code from `pipelines` (default: the scheduler's).
   */
  worker(name: string, queues: string, pipelines = this.pipelines): Proc {
    const home = join(this.home, `worker-${name}`);
    mkdirSync(home, { recursive: true });
    return this.start(["worker", "--queues", queues, "--concurrency", "2", "--pipelines", pipelines], { WEIR_TEST_WORKER: name, WEIR_HOME: home });
  }

  /** Another directory of pipeline files (inside the package), removed with the cluster. */
  otherPipelines(): string {
    const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
    mkdirSync(dir, { recursive: true });
    this.dirs.push(dir);
    return dir;
  }

  cli(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: this.env(extraEnv), timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  async json<T>(args: readonly string[]): Promise<T> {
    const result = await this.cli([...args, "--json"]);
    if (result.code !== 0) throw new Error(`weir ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  async close(): Promise<void> {
    for (const child of this.procs) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGCONT");
        child.kill("SIGKILL");
        await new Promise((r) => child.once("close", r));
      }
    }
    for (const dir of [this.pipelines, ...this.dirs]) rmSync(dir, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Polls until `check` holds; the cap only ends a hung test, it measures nothing. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, output?: () => string, capMs = 60_000): Promise<void> {
  const until = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${output ? `\n--- output ---\n${output()}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface WorkersDoc {
  workers: { id: string; host: string; pid: number; queues: string[]; slots: number; inUse: number; state: string; lastHeartbeat: string; startedAt: string; version: string }[];
}

/** The workers `weir workers` lists as alive (none while the CLI can't answer yet). */
export async function aliveWorkers(c: Cluster): Promise<WorkersDoc["workers"]> {
  const result = await c.cli(["workers", "--json"]);
  return result.code === 0 ? (JSON.parse(result.stdout) as WorkersDoc).workers.filter((w) => w.state === "alive") : [];
}

export interface RunDoc {
  run: { id: string; state: string };
  tasks: { id: string; state: string; tries: number }[];
}

/** Polls `weir tasks <run>` until the run has ended (success or failed); its document then. */
export async function runEnded(c: Cluster, runId: string, output?: () => string, capMs?: number): Promise<RunDoc> {
  let ended = null as RunDoc | null;
  await waitFor(
    `run ${runId}`,
    async () => {
      const doc = await c.json<RunDoc>(["tasks", runId]);
      return (ended = doc.run.state === "success" || doc.run.state === "failed" ? doc : null) !== null;
    },
    output,
    capMs,
  );
  return ended as RunDoc;
}

/**
 * One cluster per test, closed after it. The returned function starts it on a fresh store of the kind asked
 * for, or on a given Postgres URL.
 */
export function useClusters(): (store: "sqlite" | "postgres" | { url: string }) => Promise<Cluster> {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });
  return async (store) => {
    const url = typeof store === "object" ? store.url : store === "postgres" ? await freshPostgresUrl() : undefined;
    return (cluster = new Cluster(url));
  };
}
