// Where the project config is: `--config`, WEIR_CONFIG, or weir.config.* in the working directory. Kept
// apart from the loader so a command run without a config file never loads esbuild or zod for it.
import { existsSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { WeirError } from "../common/errors.js";

export const CONFIG_FILE_NAMES = ["weir.config.ts", "weir.config.mts", "weir.config.js", "weir.config.mjs"] as const;
const EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs"]);

/** Where the config comes from: `--config`, else WEIR_CONFIG, else the first weir.config.* in `cwd`; null: none. */
export function findConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): { path: string; given: string | null } | null {
  const given = flag ?? (env.WEIR_CONFIG?.trim() ? env.WEIR_CONFIG.trim() : undefined);
  if (given !== undefined) {
    const path = resolve(cwd, given);
    const origin = flag !== undefined ? "--config" : "WEIR_CONFIG";
    if (!existsSync(path) || !statSync(path).isFile()) throw new WeirError("config_invalid", `${given}: no such config file (given by ${origin})`);
    if (!EXTENSIONS.has(extname(path))) throw new WeirError("config_invalid", `${given}: a config file ends in .ts, .mts, .js or .mjs (given by ${origin})`);
    return { path, given: origin };
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(cwd, name);
    if (existsSync(path)) return { path, given: null };
  }
  return null;
}

