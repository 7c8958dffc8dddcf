// A worker whose parent dies (kill -9) exits with everything its task started: no orphans keep
// running tasks nobody will record.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, makeJob, makeTempDir, waitFor } from "./helpers.js";
import type { TryJob } from "../../src/worker/protocol.js";

const tmp = makeTempDir();

/** A script of its own process: a one-worker pool (`poolOptions`: the rest of its options, as source) that loads `file` and submits `job`. */
function poolParent(name: string, file: string, job: TryJob, poolOptions: string): string {
  return tmp.write(
    name,
    `import { LocalWorkerPool } from ${JSON.stringify(join(import.meta.dirname, "../../src/executor/local-pool.ts"))};
let pool;
pool = new LocalWorkerPool({ size: 1, ${poolOptions} });
const loaded = await pool.load(${JSON.stringify(file)});
const job = ${JSON.stringify(job)};
job.version = loaded.pipelines[0].version;
pool.submit(job);
`,
  );
}

/** The pid a task or a file wrote to `path`, once it has. */
async function pidIn(path: string, what: string): Promise<number> {
  return Number(
    await waitFor(() => {
      try {
        return readFileSync(path, "utf8").trim() || undefined;
      } catch {
        return undefined;
      }
    }, 30_000, what),
  );
}

/** Runs `parentFile` (a pool in a process of its own); once its worker is spinning (it wrote its pid), kill -9 the parent: the worker must exit. */
async function expectSpinningWorkerToDie(parentFile: string, pidFile: string, what: string): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", parentFile], { stdio: ["ignore", "ignore", "inherit"] });
  let workerPid = 0;
  try {
    workerPid = await pidIn(pidFile, what);
    expect(isAlive(workerPid)).toBe(true);
    child.kill("SIGKILL");
    await waitFor(() => !isAlive(workerPid), 15_000, `worker ${workerPid} to exit`);
  } finally {
    child.kill("SIGKILL");
    if (workerPid > 0 && isAlive(workerPid)) process.kill(-workerPid, "SIGKILL");
  }
}

afterAll(() => tmp.remove());

describe("parent death", () => {
  it("kills the worker and its task's children when the pool's process is killed", async () => {
    const pidFile = join(tmp.dir, "child.pid");
    const file = tmp.write(
      "hang.ts",
      `import { pipeline } from "weir";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
export default pipeline({ id: "hang" }, (p) => {
  p.task("hang", async () => {
    const child = spawn("sleep", ["1000"], { stdio: "ignore" });
    writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
    await new Promise(() => {});
  });
});
`,
    );
    const job = makeJob(tmp.dir, file, "VERSION", "hang", "hang");
    const parent = poolParent("parent.mts", file, job, `onResult: () => {}, onStarted: (_key, worker) => console.log("started " + worker)`);
    const child = spawn(process.execPath, ["--import", "tsx", parent], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    try {
      const workerPid = Number(await waitFor(() => /started local:(\d+)/.exec(out)?.[1], 30_000, "the try to start"));
      const sleepPid = await pidIn(pidFile, "the task's child");
      expect(isAlive(workerPid)).toBe(true);
      expect(isAlive(sleepPid)).toBe(true);

      child.kill("SIGKILL");
      await waitFor(() => !isAlive(workerPid), 15_000, `worker ${workerPid} to exit`);
      await waitFor(() => !isAlive(sleepPid), 15_000, `the task's child ${sleepPid} to exit`);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("kills a worker whose task blocks its event loop when the pool's process is killed", async () => {
    const pidFile = join(tmp.dir, "busy.pid");
    const file = tmp.write(
      "busy.ts",
      `import { pipeline } from "weir";
import { writeFileSync } from "node:fs";
export default pipeline({ id: "busy" }, (p) => {
  p.task("spin", async () => {
    writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
    const end = Date.now() + 60_000;
    while (Date.now() < end) {} // no 'disconnect' handler can run now
  });
});
`,
    );
    const job = makeJob(tmp.dir, file, "VERSION", "busy", "spin");
    const parent = poolParent("parent-busy.mts", file, job, `onResult: () => {}`);
    await expectSpinningWorkerToDie(parent, pidFile, "the task to start spinning");
  });

  it("kills a worker blocked in its first load (a file that spins at import) when the pool's process is killed", async () => {
    // The watchdog thread starts at the worker's first request (src/worker/watchdog.ts): this file's top level
    // is the first user code the worker runs, and blocks its loop before any task.
    const pidFile = join(tmp.dir, "import.pid");
    const file = tmp.write(
      "spin-at-import.ts",
      `import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
const end = Date.now() + 60_000;
while (Date.now() < end) {} // no 'disconnect' handler can run now
export default null;
`,
    );
    const parent = tmp.write(
      "parent-import.mts",
      `import { LocalWorkerPool } from ${JSON.stringify(join(import.meta.dirname, "../../src/executor/local-pool.ts"))};
const pool = new LocalWorkerPool({ size: 1, onResult: () => {} });
await pool.load(${JSON.stringify(file)});
`,
    );
    await expectSpinningWorkerToDie(parent, pidFile, "the file's import to start spinning");
  });

  it("a worker whose message finds its parent gone (EPIPE) dies without a word, like on disconnect", async () => {
    // The real case: a `weir run` that refuses bad input exits while its prewarmed worker is still starting; the
    // worker's "ready" then fails with EPIPE before it has seen the disconnect. The channel's error is raised
    // here by the task itself (the timing can't be forced from outside), and must end the worker quietly, not
    // as an uncaught exception that makes it print and retire.
    const file = tmp.write(
      "epipe.ts",
      `import { pipeline } from "weir";
export default pipeline({ id: "epipe" }, (p) => {
  p.task("gone", async () => {
    process.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE", syscall: "write" }));
    await new Promise(() => {});
  });
});
`,
    );
    const job = makeJob(tmp.dir, file, "VERSION", "epipe", "gone");
    const parent = poolParent("parent-epipe.mts", file, job, `onResult: (_key, result) => { console.log(JSON.stringify(result)); void pool.close(); }`);
    const child = spawn(process.execPath, ["--import", "tsx", parent], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.on("close", resolve));
    const result = JSON.parse(stdout.trim()) as { outcome: string; error?: { name: string } };
    expect(result.outcome).toBe("failure");
    expect(result.error?.name).toBe("WorkerCrashedError");
    expect(stderr).not.toMatch(/uncaught exception|retires/);
  });
});
