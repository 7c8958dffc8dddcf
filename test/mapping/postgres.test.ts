// Mapping and branching on Postgres: the same CLI runs with WEIR_DATABASE_URL=postgres://…, so an expansion
// (placeholder deleted, instances inserted) and a branch's skips commit through the Postgres dialect too,
// including after a kill -9 in the middle of a 1,000-way mapped task.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshPostgresUrl } from "../support/postgres.js";
import { ROOT, type CliResult, type RunDocument } from "../cli/helpers.js";
import { mappingFixture } from "./helpers.js";

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function weirOn(url: string, home: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", WEIR_HOME: home, WEIR_DATABASE_URL: url, ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: childEnv, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
    });
  });
}

async function fresh(): Promise<{ url: string; home: string }> {
  const home = mkdtempSync(join(tmpdir(), "weir-map-pg-"));
  homes.push(home);
  return { url: await freshPostgresUrl(), home };
}

const statesOf = (doc: RunDocument): Record<string, string> =>
  Object.fromEntries(doc.tasks.map((t) => [t.mapIndex >= 0 ? `${t.id}[${t.mapIndex}]` : t.id, t.state]));

describe("mapping and branching on Postgres", () => {
  it("expands mapped tasks (item, zip, product, mapped over mapped, empty) and follows branches", async () => {
    const { url, home } = await fresh();
    const mapped = await weirOn(url, home, ["run", mappingFixture("fanout.ts"), "--json"]);
    expect(mapped.code, mapped.stderr).toBe(0);
    const states = statesOf(JSON.parse(mapped.stdout) as RunDocument);
    expect(Object.keys(states).filter((k) => k.startsWith("product["))).toHaveLength(9);
    expect([states["evaluate[2]"], states.empty, states.after_empty, states.summary]).toEqual(["success", "skipped", "success", "success"]);

    const branched = await weirOn(url, home, ["run", mappingFixture("branching.ts"), "--json"]);
    expect(statesOf(JSON.parse(branched.stdout) as RunDocument)).toMatchObject({ ship: "success", hold: "skipped", after_hold: "skipped", join: "success", gated: "skipped" });
  });

  it("a kill -9 in the middle of a 1,000-way mapped task loses nothing; --resume finishes it", async () => {
    const { url, home } = await fresh();
    const first = await weirOn(url, home, ["run", mappingFixture("map_1000.ts"), "--json"], { WEIR_TEST_CRASH_AT: "on_result:400" });
    expect(first.signal, first.stderr).toBe("SIGKILL");
    const runs = await weirOn(url, home, ["runs", "map_1000", "--json"]);
    const id = (JSON.parse(runs.stdout) as { runs: { id: string }[] }).runs[0]?.id as string;
    const resumed = await weirOn(url, home, ["run", "--resume", id, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const doc = JSON.parse(resumed.stdout) as RunDocument;
    const work = doc.tasks.filter((t) => t.id === "work");
    expect(work).toHaveLength(1000);
    expect(work.every((t) => t.state === "success")).toBe(true);
    expect(statesOf(doc).total).toBe("success");
  });
});
