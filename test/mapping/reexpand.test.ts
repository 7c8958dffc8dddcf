// Clearing a mapped task's source with its downstream re-expands the mapped tasks to the source's new length
// (docs/mapping.md), through the real CLI on SQLite and on Postgres: the run first maps over 3 elements,
// then, cleared, over 5 (or 2), and the reduce sees the new array.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freshPostgresUrl } from "../support/postgres.js";
import { ROOT, runIdOf, waitFor, type CliResult, type RunDocument } from "../cli/helpers.js";
import { mappingFixture } from "./helpers.js";

const FIXTURE = mappingFixture("reexpand.ts");

/** `weir` on a fresh WEIR_HOME, on SQLite or (with a URL) on Postgres. */
function cliOn(url: string | null) {
  const home = mkdtempSync(join(tmpdir(), "weir-reexpand-"));
  const weir = (args: readonly string[]): Promise<CliResult> => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", WEIR_HOME: home };
    delete env.WEIR_DATABASE_URL;
    if (url !== null) env.WEIR_DATABASE_URL = url;
    return new Promise((resolve) => {
      execFile(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
      });
    });
  };
  const doc = async (runId: string): Promise<RunDocument> => {
    const result = await weir(["tasks", runId, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as RunDocument;
  };
  return { home, weir, doc, remove: () => rmSync(home, { recursive: true, force: true }) };
}
type Cli = ReturnType<typeof cliOn>;

const instancesOf = (doc: RunDocument, taskId: string) => doc.tasks.filter((t) => t.id === taskId);

/** What `total` received, from its log line (the store is read through the CLI, whichever it is). */
async function totalOf(cli: Cli, runId: string): Promise<unknown> {
  const result = await cli.weir(["logs", runId, "total"]);
  const line = /total (\{.*\})$/m.exec(result.stdout);
  if (line === null) throw new Error(`no total in the log of total: ${result.stdout}${result.stderr}`);
  return JSON.parse(line[1] as string) as unknown;
}

async function ranOnce(cli: Cli): Promise<string> {
  const first = await cli.weir(["run", FIXTURE]);
  expect(first.code, first.stderr).toBe(0);
  const runId = runIdOf(first);
  expect(instancesOf(await cli.doc(runId), "double").map((t) => t.mapIndex)).toEqual([0, 1, 2]);
  return runId;
}

async function clearAndResume(cli: Cli, runId: string, count: number): Promise<RunDocument> {
  writeFileSync(join(cli.home, "item-count"), String(count));
  const cleared = await cli.weir(["clear", runId, "--task", "items", "--downstream"]);
  expect(cleared.code, cleared.stderr).toBe(0);
  expect(cleared.stderr).toContain("weir: double, square will expand again, to the new length, when what they map over succeeds");
  // A replaced instance is not reported as if it ran again: one line per collapsed task.
  expect(cleared.stdout).not.toMatch(/^cleared double\[/m);
  expect(cleared.stdout).toMatch(/^cleared double: its 3 instances replaced by its placeholder → pending \(next try 2\)$/m);
  expect(cleared.stdout).toMatch(/^cleared items: success → scheduled \(next try 2\)$/m);
  const reopened = await cli.doc(runId);
  // Collapsed: one placeholder per mapped task again, waiting for items.
  expect(instancesOf(reopened, "double").map((t) => [t.mapIndex, t.state])).toEqual([[-1, "pending"]]);
  expect(instancesOf(reopened, "square").map((t) => [t.mapIndex, t.state])).toEqual([[-1, "pending"]]);
  const resumed = await cli.weir(["run", "--resume", runId]);
  expect(resumed.code, resumed.stderr).toBe(0);
  return cli.doc(runId);
}

describe("weir clear of a map source with --downstream", () => {
  let cli: Cli;
  afterEach(() => cli.remove());

  it("re-expands the mapped tasks to the new length; the reduce sees it; try numbers go on", async () => {
    cli = cliOn(null);
    const runId = await ranOnce(cli);
    const doc = await clearAndResume(cli, runId, 5);
    expect(doc.run.state).toBe("success");
    const double = instancesOf(doc, "double");
    expect(double.map((t) => [t.mapIndex, t.state])).toEqual([0, 1, 2, 3, 4].map((i) => [i, "success"]));
    // Each one's first try is try 2: try 1 of double[0] (before the clear) keeps its log to itself.
    expect(double.map((t) => t.tries)).toEqual([2, 2, 2, 2, 2]);
    expect(instancesOf(doc, "square")).toHaveLength(5);
    expect(await totalOf(cli, runId)).toEqual({ count: 5, double: [2, 4, 6, 8, 10], square: [4, 16, 36, 64, 100] });
    const log = await cli.weir(["logs", runId, "double", "--map-index", "4"]);
    expect(log.stdout).toMatch(/double\[4\] try 2 of 5/);
  });

  it("shrinks to a shorter array", async () => {
    cli = cliOn(null);
    const runId = await ranOnce(cli);
    const doc = await clearAndResume(cli, runId, 2);
    expect(instancesOf(doc, "double").map((t) => t.mapIndex)).toEqual([0, 1]);
    expect(await totalOf(cli, runId)).toEqual({ count: 2, double: [2, 4], square: [4, 16] });
  });

  it("says the same through a server (--server): the collapsed tasks, and that they expand again", async () => {
    cli = cliOn(null);
    const runId = await ranOnce(cli);
    const server = spawn(process.execPath, ["bin/weir.js", "server", "--port", "0"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", WEIR_HOME: cli.home }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    server.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = await waitFor(() => /(?:UI and API on|serving the UI and API on) (http:\/\/\S+)/.exec(stderr)?.[1], 30_000, `weir server to serve (${stderr})`);
      writeFileSync(join(cli.home, "item-count"), "5");
      const cleared = await cli.weir(["clear", runId, "--task", "items", "--downstream", "--server", url]);
      expect(cleared.code, cleared.stderr).toBe(0);
      expect(cleared.stdout).not.toMatch(/^cleared double\[/m);
      expect(cleared.stdout).toMatch(/^cleared double: its 3 instances replaced by its placeholder → pending \(next try 2\)$/m);
      expect(cleared.stderr).toContain("weir: double, square will expand again, to the new length, when what they map over succeeds");
    } finally {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  });

  it("fails a mapped task's kept instances, cleared later, when its source ran again with another length", async () => {
    cli = cliOn(null);
    const runId = await ranOnce(cli);
    // items alone: double keeps its 3 instances (they ended), while items now gives 5.
    writeFileSync(join(cli.home, "item-count"), "5");
    expect((await cli.weir(["clear", runId, "--task", "items"])).code).toBe(0);
    expect((await cli.weir(["run", "--resume", runId])).code).toBe(0);
    const cleared = await cli.weir(["clear", runId, "--task", "double"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    const doc = await cli.doc(runId);
    expect(instancesOf(doc, "double").map((t) => [t.mapIndex, t.state])).toEqual([[0, "failed"], [1, "failed"], [2, "failed"]]);
    expect(cleared.stdout).toMatch(/^cleared double\[0\]: success → failed$/m);
    expect(cleared.stderr).toMatch(/the run is failed$/m);
  });

  it("does the same on Postgres", async () => {
    cli = cliOn(await freshPostgresUrl());
    const runId = await ranOnce(cli);
    const doc = await clearAndResume(cli, runId, 5);
    expect(doc.run.state).toBe("success");
    expect(instancesOf(doc, "double")).toHaveLength(5);
    expect(instancesOf(doc, "square")).toHaveLength(5);
    expect(await totalOf(cli, runId)).toEqual({ count: 5, double: [2, 4, 6, 8, 10], square: [4, 16, 36, 64, 100] });
  });
});
