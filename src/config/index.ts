// The project config (weir.config.ts), as the CLI uses it: found, loaded, validated and applied once,
// before a command runs (docs/configuration.md). The loader (esbuild, zod) is imported only when a
// config file exists.
import { WeirError } from "../common/errors.js";
import { applyConfig, checkEnvSettings } from "./apply-config.js";
import { findConfigFile } from "./find-config-file.js";

export { defineConfig, type WeirConfig, type NotifierInput, type EmailNotifierInput } from "./define-config.js";
export { configuredNotifiers, activeConfigFile, configAsEnv } from "./apply-config.js";
export { CONFIG_FILE_NAMES } from "./find-config-file.js";

/** `--config <path>` or `--config=<path>` anywhere before `--` in the arguments. */
export function configFlag(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") break;
    if (arg === "--config") return args[i + 1] ?? "";
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
  }
  return undefined;
}

/** The arguments without `--config <path>`: what commander and the CLI's early checks look at. */
export function withoutConfigFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return [...out, ...args.slice(i)];
    if (arg === "--config") i++;
    else if (!arg.startsWith("--config=")) out.push(arg);
  }
  return out;
}

/**
 * Loads the config file the arguments, environment and working directory point to (if one) and fills
 * the environment from it; then checks the settings only the environment can still get wrong. Throws a
 * `config_invalid` WeirError (exit 2) before anything else has happened.
 */
export async function prepareConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<void> {
  const flag = configFlag(args);
  if (flag === "") throw new WeirError("config_invalid", "--config needs a path");
  const found = findConfigFile(flag, env, cwd);
  if (found) {
    const { loadConfigFile } = await import("./load-config-file.js");
    applyConfig(await loadConfigFile(found.path, cwd), env);
  }
  checkEnvSettings(env);
}
