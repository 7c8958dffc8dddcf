// The real `node bin/weir.js` as a child process for the crash tests: one command to its exit (or to a
// SIGKILL after a delay), `weir dev` until it dies at its crash point or the store says it is done, and the
// home's SQLite store read back between processes.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";

export const ROOT = new URL("../..", import.meta.url).pathname;

export interface WeirOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `weir …` from the package root with WEIR_HOME=home; with `killAfterMs`, SIGKILLs it then. Rejects only if it can't start. */
export function spawnWeir(args: string[], home: string, env: Record<string, string> = {}, killAfterMs?: number): Promise<WeirOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/weir.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, WEIR_HOME: home, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs `weir dev <dir>` until it dies (its crash point, WEIR_TEST_CRASH_AT: "crashed") or `done` holds (then
 * stops it: "done"); `done` is polled every 200 ms. `started` runs once, at the first poll, while it runs.
 * A process still up after 45 s is killed and counts as crashed, so a test fails on its checks, not a hang.
 */
export function devUntil(
  dir: string,
  home: string,
  env: Record<string, string>,
  done: () => Promise<boolean>,
  started: () => Promise<void> = async () => {},
): Promise<"crashed" | "done"> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/weir.js"), "dev", dir], { cwd: ROOT, env: { ...process.env, WEIR_HOME: home, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    let finished = false;
    let kicked = false;
    const poll = setInterval(() => {
      void (async () => {
        if (!kicked) {
          kicked = true;
          await started();
        }
        if (!finished && (await done())) {
          finished = true;
          child.kill("SIGINT");
        }
      })();
    }, 200);
    const cap = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      clearInterval(poll);
      clearTimeout(cap);
      if (finished) resolve("done");
      else if (signal === "SIGKILL") resolve("crashed");
      else reject(new Error(`weir dev exited on its own: ${stderr}`));
    });
  });
}

/** Opens the home's SQLite store, runs `use`, closes it. */
export async function withHomeStore<T>(home: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = openSqliteStore({ path: join(home, "weir.db") });
  try {
    await store.migrate();
    return await use(store);
  } finally {
    await store.close();
  }
}
