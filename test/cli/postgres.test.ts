// The CLI on Postgres: WEIR_DATABASE_URL=postgres://… makes every command use it; `weir db migrate` creates
// and upgrades the schema; with WEIR_AUTO_MIGRATE=0 commands refuse an outdated schema and change nothing.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { freshPostgresUrl, withClient } from "../support/postgres.js";
import { ROOT, type CliResult } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "weir-cli-pg-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const LATEST = MIGRATIONS.at(-1)!.version;

/** `node bin/weir.js …` against `url` (helpers.ts's `weir` clears WEIR_DATABASE_URL on purpose). */
function weirOn(url: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", WEIR_HOME: home, WEIR_DATABASE_URL: url, ...env };
  if (env.WEIR_AUTO_MIGRATE === undefined) delete childEnv.WEIR_AUTO_MIGRATE;
  return new Promise((resolve) => {
    execFile(process.execPath, ["bin/weir.js", ...args], { cwd: ROOT, env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
    });
  });
}

async function tables(url: string): Promise<string[]> {
  return withClient(url, async (client) => (await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")).rows.map((r) => r.t));
}

describe("weir on Postgres", () => {
  it("`weir db migrate` creates the schema once, says so, and is a no-op the second time", async () => {
    const url = await freshPostgresUrl({ migrated: false });
    const first = await weirOn(url, ["db", "migrate"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`migrated Postgres database postgres://.* from schema version 0 to ${LATEST}`));
    const password = new URL(url).password;
    if (password !== "") expect(first.stderr).not.toContain(password);
    const again = await weirOn(url, ["db", "migrate", "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ from: LATEST, to: LATEST, applied: [] });
    expect(await tables(url)).toContain("runs");
  });

  it("with WEIR_AUTO_MIGRATE=0 a command refuses a schema that is behind, changing nothing, until `weir db migrate`", async () => {
    const url = await freshPostgresUrl({ migrated: false });
    const refused = await weirOn(url, ["runs", "etl_daily"], { WEIR_AUTO_MIGRATE: "0" });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("weir db migrate");
    expect(await tables(url)).toEqual([]);
    expect((await weirOn(url, ["db", "migrate"], { WEIR_AUTO_MIGRATE: "0" })).code).toBe(0);
    const listed = await weirOn(url, ["pools", "list", "--json"], { WEIR_AUTO_MIGRATE: "0" });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ pools: [{ name: "default" }] });
  });

  it("runs a pipeline with every record in Postgres, readable by the other commands", async () => {
    const url = await freshPostgresUrl();
    const run = await weirOn(url, ["run", "examples/etl_daily.ts", "--logical-date", "2025-09-03", "--json"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { run: { id: string; state: string }; tasks: { state: string }[] };
    expect(doc.run.state).toBe("success");
    const stored = await withClient(url, async (client) => (await client.query<{ state: string }>("SELECT state FROM runs WHERE id = $1", [doc.run.id])).rows);
    expect(stored).toEqual([{ state: "success" }]);
    const tasks = await weirOn(url, ["tasks", doc.run.id, "--json"]);
    expect(tasks.code).toBe(0);
    expect(JSON.parse(tasks.stdout)).toEqual(doc);
  });

  it("names an unreachable server in one line, without the password", async () => {
    const result = await weirOn("postgres://weir:secret@127.0.0.1:1/weir", ["runs", "etl_daily"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("postgres://weir:***@127.0.0.1:1/weir");
    expect(result.stderr).not.toContain("secret");
  });
});
