// Keeps bench/run.mjs from rotting: runs two small workloads with --quick and checks the shape of the
// JSON document, and the table's last line. No timing is asserted here (bench/README.md has the bars; `npm run bench` judges them).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe("bench/run.mjs", () => {
  it("prints one JSON document with the W1 and W4 figures (--json --only W1,W4 --quick)", async () => {
    expect(existsSync(join(root, "dist", "bench-harness.js")), "dist/bench-harness.js is missing: run `npm run build`").toBe(true);
    expect(existsSync(join(root, "dist", "bench-service-harness.js")), "dist/bench-service-harness.js is missing: run `npm run build`").toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, ["bench/run.mjs", "--json", "--only", "W1,W4", "--quick"], { cwd: root, timeout: 60_000 });
    const doc = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual(["W1", "W4"]);
    const w1 = doc.W1 as Record<string, unknown>;
    for (const key of ["wallMs", "perEdgeMs", "peakRssMb"]) {
      expect(typeof w1[key], key).toBe("number");
      expect(w1[key] as number, key).toBeGreaterThan(0);
    }
    expect(w1.tasksPerS).toBeNull();
    expect(typeof w1.pass).toBe("boolean");
    // W4 (a backfill run by a SchedulerService): its own figures, one verdict per bar.
    const w4 = doc.W4 as Record<string, unknown>;
    for (const key of ["createMs", "doneMs", "firstRunningMs", "peakRssMb"]) {
      expect(typeof w4[key], key).toBe("number");
      expect(w4[key] as number, key).toBeGreaterThan(0);
    }
    expect(w4.tasks).toBe((w4.runs as number) * 10);
    expect(w4.capped).toBe(false);
    expect(Object.keys(w4.bars as object)).toEqual(["createMs", "doneMs"]);
    expect(typeof w4.pass).toBe("boolean");
  });

  it("prints the table with the machine line under it (--only W1 --quick --reps 1)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["bench/run.mjs", "--only", "W1", "--quick", "--reps", "1"], { cwd: root, timeout: 60_000 });
    expect(stdout).toMatch(/^W1 chain-20 /m);
    expect(stdout).toMatch(/^machine before: node -e 0 \d+ ms, fixed JS work \d+ ms; after: node -e 0 \d+ ms, fixed JS work \d+ ms/m);
  });
});
