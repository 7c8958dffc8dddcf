// Keeps `node bench/run.mjs --store postgres` from rotting: W1 with --quick sizes on the tests' Postgres
// (handed to the bench as WEIR_BENCH_DATABASE_URL, so no second server starts). No timing is asserted.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe("bench/run.mjs --store postgres", () => {
  it("runs W1 on Postgres and reports its commits per finished task", async () => {
    expect(existsSync(join(root, "dist", "bench-harness.js")), "dist/bench-harness.js is missing: run `npm run build`").toBe(true);
    const server = inject("weirPostgres");
    if (!server) throw new Error("no Postgres for this test run (test/support/postgres-server.ts)");
    const { stdout } = await promisify(execFile)(process.execPath, ["bench/run.mjs", "--store", "postgres", "--json", "--only", "W1", "--quick"], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, WEIR_BENCH_DATABASE_URL: server.adminUrl },
    });
    const doc = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual(["W1"]);
    const w1 = doc.W1 as Record<string, unknown>;
    for (const key of ["wallMs", "perEdgeMs", "commits", "commitsPerTask"]) {
      expect(typeof w1[key], key).toBe("number");
      expect(w1[key] as number, key).toBeGreaterThan(0);
    }
    // A chain commits at least once per task: each task's end and the next one's start.
    expect(w1.commitsPerTask as number).toBeGreaterThanOrEqual(0.9);
    expect(typeof w1.pass).toBe("boolean");
  });

  it("refuses the workloads it doesn't measure on Postgres", async () => {
    const failed = await promisify(execFile)(process.execPath, ["bench/run.mjs", "--store", "postgres", "--only", "W4"], { cwd: root }).catch((e: unknown) => e);
    expect((failed as { code?: number }).code).toBe(2);
    expect((failed as { stderr?: string }).stderr).toMatch(/unknown workload W4 \(known: W1, W2, W3, W5\)/);
  });
});
