// Shared pieces of the config tests: a project directory inside the package (so `import "weir"` in
// weir.config.ts resolves through the package's self-reference) and the real `weir` CLI run in it.
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "../executor/helpers.js";

export const ROOT = join(import.meta.dirname, "../..");

if (!existsSync(join(ROOT, "dist/cli.js")) || !existsSync(join(ROOT, "dist/worker.js"))) {
  throw new Error("dist/ is missing: run `npm run build` before the config tests");
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Project {
  dir: string;
  write: (name: string, text: string) => string;
  /** `weir …` with cwd = the project; no WEIR_* variable of the test runner leaks in. */
  weir: (args: readonly string[], env?: Record<string, string>) => Promise<CliResult>;
  /** Every file and directory under the project, relative (what a bad config must not change). */
  listing: () => string[];
  remove: () => void;
}

export function makeProject(): Project {
  const tmp = makeTempDir(import.meta.dirname);
  return {
    ...tmp,
    weir: (args, env = {}) => runWeir(tmp.dir, args, env),
    listing: () => (readdirSync(tmp.dir, { recursive: true }) as string[]).sort(),
  };
}

function runWeir(cwd: string, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("WEIR_")) childEnv[name] = value;
  Object.assign(childEnv, env);
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, "bin/weir.js"), ...args], { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A weir.config.ts exporting `body` (an object literal) through defineConfig. */
export function configTs(body: string): string {
  return `import { defineConfig } from "weir";\n\nexport default defineConfig(${body});\n`;
}
