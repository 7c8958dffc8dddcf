// Precedence, through the real CLI: a command-line flag over the environment, the environment over
// weir.config.ts, the file over the defaults; and where the file is looked for (--config, WEIR_CONFIG, cwd).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configTs, makeProject, ROOT, type Project } from "./helpers.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

function project(): Project {
  const p = makeProject();
  cleanup.push(() => p.remove());
  return p;
}

/** Creates the store (`weir db migrate`) and reads the default pool's size from it. */
async function defaultPoolSlots(p: Project, env: Record<string, string> = {}, args: string[] = []): Promise<number> {
  const migrated = await p.weir([...args, "db", "migrate"], env);
  expect(migrated.code, migrated.stderr).toBe(0);
  const result = await p.weir([...args, "pools", "list", "--json"], env);
  expect(result.code, result.stderr).toBe(0);
  const pools = (JSON.parse(result.stdout) as { pools: { name: string; slots: number }[] }).pools;
  return pools.find((pool) => pool.name === "default")?.slots ?? -1;
}

describe("precedence", () => {
  it("takes home and the default pool's size from the file, and the environment over the file", async () => {
    const p = project();
    p.write("weir.config.ts", configTs(`{ home: "state/from-config", defaultPoolSlots: 7 }`));
    expect(await defaultPoolSlots(p)).toBe(7);
    expect(existsSync(join(p.dir, "state/from-config/weir.db"))).toBe(true);

    const envHome = join(p.dir, "from-env");
    expect(await defaultPoolSlots(p, { WEIR_HOME: envHome, WEIR_DEFAULT_POOL_SLOTS: "9" })).toBe(9);
    expect(existsSync(join(envHome, "weir.db"))).toBe(true);

    // The file's home, but the environment's size: each setting on its own.
    const mixed = project();
    mixed.write("weir.config.ts", configTs(`{ home: "mixed", defaultPoolSlots: 7 }`));
    expect(await defaultPoolSlots(mixed, { WEIR_DEFAULT_POOL_SLOTS: "3" })).toBe(3);
    expect(existsSync(join(mixed.dir, "mixed/weir.db"))).toBe(true);

    // Without a file: the defaults (.weir here, 128 slots).
    const bare = project();
    expect(await defaultPoolSlots(bare)).toBe(128);
    expect(existsSync(join(bare.dir, ".weir/weir.db"))).toBe(true);
  }, 60_000);

  it("finds the file by --config, else WEIR_CONFIG, else weir.config.* in the working directory", async () => {
    const p = project();
    p.write("weir.config.ts", configTs(`{ home: "cwd-home" }`));
    p.write("conf/by-env.mts", configTs(`{ home: "env-home" }`));
    p.write("conf/by-flag.mjs", `export default { home: "flag-home" };\n`);
    expect(await defaultPoolSlots(p)).toBe(128);
    expect(existsSync(join(p.dir, "cwd-home/weir.db"))).toBe(true);
    // A relative home is relative to the config file, not to the working directory.
    await defaultPoolSlots(p, { WEIR_CONFIG: "conf/by-env.mts" });
    expect(existsSync(join(p.dir, "conf/env-home/weir.db"))).toBe(true);
    await defaultPoolSlots(p, { WEIR_CONFIG: "conf/by-env.mts" }, ["--config", "conf/by-flag.mjs"]);
    expect(existsSync(join(p.dir, "conf/flag-home/weir.db"))).toBe(true);
    // The compiled module of a TypeScript config is gone once loaded.
    expect(p.listing().filter((f) => f.includes(".weir-config-"))).toEqual([]);
  }, 60_000);

  it("hands the file's settings to worker processes: artifactThreshold decides where an output goes", async () => {
    const p = project();
    p.write("weir.config.ts", configTs(`{ home: ".weir", artifactThreshold: 100 }`));
    p.write(
      "big.ts",
      `import { pipeline } from "weir";\nexport default pipeline({ id: "big_output", schedule: null }, (p) => {\n  p.task("emit", async () => "x".repeat(500));\n});\n`,
    );
    const run = await p.weir(["run", "big.ts"]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(p.dir, ".weir/artifacts/sha256"))).toBe(true);

    const envWins = project();
    envWins.write("weir.config.ts", configTs(`{ home: ".weir", artifactThreshold: 100 }`));
    envWins.write("big.ts", `import { pipeline } from "weir";\nexport default pipeline({ id: "big_output", schedule: null }, (p) => {\n  p.task("emit", async () => "x".repeat(500));\n});\n`);
    const inline = await envWins.weir(["run", "big.ts"], { WEIR_ARTIFACT_THRESHOLD: "100000" });
    expect(inline.code, inline.stderr).toBe(0);
    expect(existsSync(join(envWins.dir, ".weir/artifacts/sha256"))).toBe(false);
  }, 60_000);

  it("sizes the local worker pool from the file, the environment over it, and -c over both", async () => {
    // Three tasks ready together, each waiting until `together` of them have started (at most 20 s): a
    // worker process runs one try at a time, so the distinct pids are the pool's size.
    const workerPids = async (p: Project, together: number, args: string[], env: Record<string, string> = {}): Promise<number> => {
      const run = await p.weir(["run", "pids.ts", "--param", `together=${together}`, ...args], env);
      expect(run.code, run.stderr).toBe(0);
      const pids = readFileSync(join(p.dir, "pids.txt"), "utf8").trim().split("\n");
      rmSync(join(p.dir, "pids.txt"));
      expect(pids).toHaveLength(3);
      return new Set(pids).size;
    };
    const p = project();
    p.write("weir.config.ts", configTs(`{ home: ".weir", localWorkers: { processes: 1 } }`));
    p.write(
      "pids.ts",
      [
        `import { appendFileSync, readFileSync } from "node:fs";`,
        `import { z } from "zod";`,
        `import { pipeline } from "weir";`,
        `const started = (): number => readFileSync("pids.txt", "utf8").trim().split("\\n").length;`,
        `export default pipeline({ id: "pids", schedule: null, params: z.object({ together: z.number().int() }) }, (p) => {`,
        `  for (const id of ["a", "b", "c"]) {`,
        `    p.task(id, async (ctx) => {`,
        `      appendFileSync("pids.txt", process.pid + "\\n");`,
        `      for (let waited = 0; started() < ctx.params.together && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));`,
        `    });`,
        `  }`,
        `});`,
        ``,
      ].join("\n"),
    );
    expect(await workerPids(p, 1, [])).toBe(1);
    expect(await workerPids(p, 3, [], { WEIR_LOCAL_WORKERS: "3" })).toBe(3);
    expect(await workerPids(p, 1, ["-c", "1"], { WEIR_LOCAL_WORKERS: "3" })).toBe(1);
  }, 90_000);

  it("puts a flag over the environment over the file: the server's port", async () => {
    const p = project();
    const [fromFile, fromEnv, fromFlag] = [await freePort(), await freePort(), await freePort()];
    p.write("weir.config.ts", configTs(`{ home: ".weir", port: ${fromFile} }`));
    expect(await servedPort(p, [])).toBe(fromFile);
    expect(await servedPort(p, [], { WEIR_PORT: String(fromEnv) })).toBe(fromEnv);
    expect(await servedPort(p, ["--port", String(fromFlag)], { WEIR_PORT: String(fromEnv) })).toBe(fromFlag);
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `weir server`, reads the port it says it serves on, and stops it. */
function servedPort(p: Project, args: string[], env: Record<string, string> = {}): Promise<number> {
  const childEnv: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("WEIR_")) childEnv[name] = value;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, [join(ROOT, "bin/weir.js"), "server", ...args], { cwd: p.dir, env: childEnv, stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise((resolve) => child.once("close", resolve));
  cleanup.push(() => {
    child.kill("SIGKILL");
    return exited;
  });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stderr.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /serving the UI and API on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (match) {
        child.kill("SIGTERM");
        resolve(Number(match[1]));
      }
    });
    child.once("close", () => reject(new Error(`weir server exited before serving: ${text}`)));
  });
}
