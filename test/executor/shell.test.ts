// Shell tasks: /bin/sh in its own process group, output is the last stdout line, WEIR_* facts and
// params arrive as environment variables and are never interpolated into the command.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeValue } from "../../src/worker/value-codec.js";
import { isAlive, makeJob, makePool, makeTempDir, readLog, versionOf, waitFor } from "./helpers.js";

const tmp = makeTempDir();
const { pool, run } = makePool({ size: 2, killGraceMs: 1000 });
const marker = `/tmp/weir-pwned-${randomBytes(4).toString("hex")}`;
let file = "";
let version = "";

beforeAll(async () => {
  mkdirSync(join(tmp.dir, "sub"));
  file = tmp.write(
    "shell.ts",
    `import { pipeline } from "weir";
export default pipeline({ id: "sh" }, (p) => {
  p.shell("last_line", "echo first; echo; echo '  last  '; echo");
  p.shell("silent", "true");
  p.shell("fails", "echo working; echo 'disk full' >&2; exit 4");
  p.shell("killed", "kill -9 $$");
  p.shell("facts", { env: { EXTRA: "extra value" } }, 'echo "$WEIR_RUN_ID|$WEIR_PIPELINE_ID|$WEIR_TASK_ID|$WEIR_MAP_INDEX|$WEIR_LOGICAL_DATE|$WEIR_INTERVAL_START|$WEIR_INTERVAL_END|$WEIR_TRY_NUMBER|$EXTRA"');
  p.shell("params", 'echo "$WEIR_PARAM_TARGET_TABLE"; echo "$WEIR_PARAM_LIMIT"; echo "$WEIR_PARAM_OPTS"');
  p.shell("where", "pwd");
  p.shell("where_sub", { cwd: "sub" }, "pwd");
  p.shell("sleeps", 'sleep 1000 & echo $! > ${join(tmp.dir, "sleep.pid")}; wait');
});
`,
  );
  version = await versionOf(pool, file, "sh");
});

afterAll(async () => {
  await pool.close();
  tmp.remove();
  rmSync(marker, { force: true });
});

const job = (taskId: string, extra = {}) => makeJob(tmp.dir, file, version, "sh", taskId, extra);
const output = (result: Awaited<ReturnType<typeof run>>) => (result.outcome === "success" ? decodeValue(result.output) : result);

describe("shell tasks", () => {
  it("outputs the last non-empty stdout line, or an empty string", async () => {
    expect(output(await run(job("last_line")))).toBe("  last  ");
    expect(output(await run(job("silent")))).toBe("");
  });

  it("fails on a non-zero exit with the code and the last stderr line, and logs both streams", async () => {
    const j = job("fails");
    expect(await run(j)).toMatchObject({
      outcome: "failure",
      error: { name: "ShellCommandFailedError", message: "command exited with code 4: disk full", retryable: true, kind: "error" },
    });
    const log = readLog(j.logPath);
    expect(log).toMatch(/Z out working\n/);
    expect(log).toMatch(/Z err disk full\n/);
  });

  it("says which signal killed the command", async () => {
    expect(await run(job("killed"))).toMatchObject({ outcome: "failure", error: { message: "command was killed by SIGKILL" } });
  });

  it("passes the run's facts and the task's env as environment variables", async () => {
    const j = job("facts", { mapIndex: 2, tryNumber: 3 });
    expect(output(await run(j))).toBe(
      [j.runId, "sh", "facts", "2", "2025-09-01T00:00:00.000Z", "2025-09-01T00:00:00.000Z", "2025-09-02T00:00:00.000Z", "3", "extra value"].join("|"),
    );
  });

  it("passes params as WEIR_PARAM_* variables and never runs them as code", async () => {
    const j = job("params", { params: { "target-table": `$(touch ${marker})`, limit: 10, opts: { a: [1, 2] } } });
    const result = await run(j);
    expect(result.outcome).toBe("success");
    const lines = readLog(j.logPath).trimEnd().split("\n").map((l) => l.replace(/^\S+ out /, ""));
    expect(lines).toEqual([`$(touch ${marker})`, "10", '{"a":[1,2]}']);
    expect(existsSync(marker)).toBe(false);
  });

  it("runs in the pipeline file's directory unless the task names another", async () => {
    expect(output(await run(job("where")))).toBe(tmp.dir);
    expect(output(await run(job("where_sub")))).toBe(join(tmp.dir, "sub"));
  });

  it("stops the command and what it started on timeout", async () => {
    const result = await run(job("sleeps", { timeoutMs: 500 }));
    expect(result).toMatchObject({ outcome: "failure", error: { name: "TaskTimeoutError", kind: "timeout" } });
    const pid = Number(readFileSync(join(tmp.dir, "sleep.pid"), "utf8"));
    await waitFor(() => !isAlive(pid), 10_000, "the sleep to die");
  });

  it("stops running commands when the pool closes, reporting their tries lost", async () => {
    const own = makePool({ size: 1 });
    rmSync(join(tmp.dir, "sleep.pid"), { force: true });
    const pending = own.run(job("sleeps"));
    const pid = Number(await waitFor(() => (existsSync(join(tmp.dir, "sleep.pid")) ? readFileSync(join(tmp.dir, "sleep.pid"), "utf8").trim() : undefined), 10_000, "the sleep to start"));
    await own.pool.close();
    expect(await pending).toMatchObject({ outcome: "failure", error: { kind: "lost" } });
    await waitFor(() => !isAlive(pid), 10_000, "the sleep to die");
  });
});
