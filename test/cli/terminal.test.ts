// What a person at a terminal sees: live progress redrawn in place on a TTY, and Ctrl-C canceling the run.
import { execFile, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { fixture, makeHome, ROOT, type Home, type RunDocument } from "./helpers.js";

const homes: Home[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.remove();
});

function home(): Home {
  const h = makeHome();
  homes.push(h);
  return h;
}

describe("weir run at a terminal", () => {
  it("cancels the run on the first Ctrl-C: the running try is stopped, unfinished tasks canceled, exit 1", async () => {
    const h = home();
    const child = spawn(process.execPath, ["bin/weir.js", "run", fixture("cancel.ts")], {
      cwd: ROOT,
      env: { ...process.env, WEIR_HOME: h.dir, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let interrupted = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      // Piped, each state change is a line: interrupt once `slow` is running.
      if (!interrupted && / slow running/.test(stderr)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(interrupted, stderr).toBe(true);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain("canceling the run");
    const runId = /run (manual_\S+) of cancel_me/.exec(stderr)?.[1] as string;
    const doc = JSON.parse((await h.weir(["tasks", runId, "--json"])).stdout) as RunDocument;
    expect(doc.run.state).toBe("canceled");
    const states = Object.fromEntries(doc.tasks.map((t) => [t.id, t.state]));
    expect(states.quick).toBe("success");
    expect(states.slow).toBe("canceled");
  }, 30_000);

  it("redraws each task's state in place on a TTY", async () => {
    const h = home();
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const command = `${process.execPath} bin/weir.js run examples/etl_daily.ts --logical-date 2025-09-03`;
    const output = await new Promise<string>((resolve, reject) =>
      execFile("script", ["-qfec", command, "/dev/null"], { cwd: ROOT, env: { ...process.env, WEIR_HOME: h.dir, NO_COLOR: "1", COLUMNS: "100", LINES: "30" } }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    // Cursor-up sequences: the task lines are rewritten, not appended.
    expect(output).toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d+A`));
    for (const task of ["extract", "transform", "load"]) expect(output).toMatch(new RegExp(`✔ ${task}\\s+success`));
    expect(output).toMatch(/run manual_\S+ success/);
  }, 30_000);
});
