// Weir processes on the hosts of the test network: `weir scheduler --executor store` and `weir worker`, each
// in its host's namespace with the host name `weir-<host>` and a WEIR_HOME of its own, all reaching the one
// Postgres over the bridge; and the CLI from the test process (the root namespace, also on the bridge).
// Pipeline files live in a temp dir inside the package so `import "weir"` resolves; tasks leave marks (files)
// saying which worker ran which try, and what it did.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Host, HostProcess, Network } from "./network.js";

export const ROOT = join(import.meta.dirname, "../..");

if (!existsSync(join(ROOT, "dist/cli.js")) || !existsSync(join(ROOT, "dist/worker.js"))) {
  throw new Error("dist/ is missing: run `npm run build` before the multi-host test");
}

/** What a task did, from the marks it left: `<run>~<task>~<try>~<worker>~<start|done>`. */
export interface Mark {
  runId: string;
  taskId: string;
  tryNumber: number;
  worker: string;
  what: "start" | "done";
}

export class WeirHosts {
  readonly home = mkdtempSync(join(tmpdir(), "weir-netns-"));
  readonly pipelines = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  readonly marks = join(this.home, "marks");

  constructor(
    private readonly network: Network,
    private readonly databaseUrl: string,
    private readonly extraEnv: Record<string, string>,
  ) {
    mkdirSync(this.pipelines, { recursive: true });
    mkdirSync(this.marks, { recursive: true });
  }

  writePipeline(name: string, text: string): void {
    writeFileSync(join(this.pipelines, name), text.replaceAll("__MARKS__", JSON.stringify(this.marks)));
  }

  /** A file tasks may wait for (in marks/). */
  touch(name: string): void {
    writeFileSync(join(this.marks, name), "");
  }

  markList(): Mark[] {
    return readdirSync(this.marks)
      .filter((name) => name.includes("~"))
      .sort()
      .map((name) => {
        const [runId, taskId, tryNumber, worker, what] = name.split("~") as [string, string, string, string, "start" | "done"];
        return { runId, taskId, tryNumber: Number(tryNumber), worker, what };
      });
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", WEIR_HOME: this.home, WEIR_WORKER_HEARTBEAT_MS: "300", ...this.extraEnv, ...extra };
    delete env.WEIR_EXECUTOR;
    delete env.WEIR_TEST_CRASH_AT;
    env.WEIR_DATABASE_URL = this.databaseUrl;
    return env;
  }

  private homeOf(role: string): string {
    const home = join(this.home, role);
    mkdirSync(home, { recursive: true });
    return home;
  }

  /** `weir scheduler --executor store` on `host`, host name `weir-<host>`. */
  scheduler(host: Host): HostProcess {
    return this.network.spawn(host, `weir-${host.name}`, [process.execPath, "bin/weir.js", "scheduler", relative(ROOT, this.pipelines), "--executor", "store"], {
      cwd: ROOT,
      env: this.env({ WEIR_HOME: this.homeOf(`scheduler-${host.name}-${randomBytes(2).toString("hex")}`) }),
    });
  }

  /** `weir worker` on `host`; its tasks see WEIR_TEST_WORKER=<host name>. */
  worker(host: Host): HostProcess {
    return this.network.spawn(host, `weir-${host.name}`, [process.execPath, "bin/weir.js", "worker", "--queues", "default", "--concurrency", "2", "--pipelines", this.pipelines], {
      cwd: ROOT,
      env: this.env({ WEIR_HOME: this.homeOf(`worker-${host.name}`), WEIR_TEST_WORKER: host.name }),
    });
  }

  /** The CLI from the test process (root namespace). */
  cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: this.env(), timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  close(): void {
    rmSync(this.pipelines, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Polls until `check` holds; the cap only ends a hung test, it measures nothing. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, output?: () => string, capMs = 90_000): Promise<void> {
  const until = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${output ? `\n--- output ---\n${output()}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
