// Shell tasks through the real CLI: run facts and params as WEIR_* variables, output in the try log,
// non-zero exit fails, and a param value is never executed (DESIGN.md §7: input never becomes code).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { byTask, fixture, logs, makeHome, runDocument, runIdOf, type Home } from "./helpers.js";

describe("shell tasks", () => {
  let h: Home;
  afterEach(() => h.remove());

  it("get WEIR_* variables and params as environment, log stdout and stderr, fail on a non-zero exit, never run a param", async () => {
    h = makeHome();
    const pwned = join(h.dir, "pwned");
    const note = `$(touch ${pwned}); \`touch ${pwned}\`; echo hi > ${pwned}`;
    const result = await h.weir(["run", fixture("shell.ts"), "--logical-date", "2025-09-03", "--param", `note=${note}`, "--param", "limit=7"]);
    expect(result.code, result.stderr).toBe(1);
    const runId = runIdOf(result);
    const doc = await runDocument(h, runId);
    expect(byTask(doc).get("env")).toMatchObject({ state: "success", tries: 1 });
    expect(byTask(doc).get("fails")).toMatchObject({ state: "failed", tries: 1 });

    const env = await logs(h, runId, "env");
    expect(env.code).toBe(0);
    const lines = env.stdout.split("\n").map((l) => l.replace(/^\S+Z (out|err) /, "$1 "));
    expect(lines).toContain(`out run=${runId}`);
    expect(lines).toContain("out pipeline=cli_shell task=env");
    expect(lines).toContain("out logical=2025-09-03T00:00:00.000Z");
    expect(lines).toContain("out start=2025-09-03T00:00:00.000Z end=2025-09-04T00:00:00.000Z");
    expect(lines).toContain("out try=1");
    expect(lines).toContain(`out note=${note}`); // the literal value, not its expansion
    expect(lines).toContain("out limit=7");
    expect(lines).toContain("err to stderr");
    expect(existsSync(pwned)).toBe(false);

    const fails = await logs(h, runId, "fails");
    expect(fails.stdout).toMatch(/^\S+Z out about to fail$/m);
    expect(fails.stdout).toMatch(/^\S+Z err disk full$/m);
    expect(fails.stderr).toMatch(/^try 1 failed: ShellCommandFailedError: command exited with code 3: disk full$/m);
    expect(result.stderr).toMatch(/ fails failed · ShellCommandFailedError: command exited with code 3/);
  });
});
