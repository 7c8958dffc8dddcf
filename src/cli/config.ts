// Where Weir keeps its state: WEIR_HOME (default ./.weir) and the store URL (default: SQLite in WEIR_HOME).
// Read from the environment only: weir.config.ts has already filled the variables it sets and the
// environment left unset (src/config, run by main.ts before a command), so flag > env > file > default.
import { resolve } from "node:path";
import { parseDuration } from "../define/duration.js";

export interface CliConfig {
  home: string;
  databaseUrl: string | undefined;
  /** Between aborting a try (timeout, cancel) and killing its worker if it hasn't stopped. */
  killGraceMs: number;
}

export function resolveConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  return {
    home: resolve(env.WEIR_HOME ?? ".weir"),
    databaseUrl: env.WEIR_DATABASE_URL || undefined,
    killGraceMs: env.WEIR_KILL_GRACE ? parseDuration(env.WEIR_KILL_GRACE, "WEIR_KILL_GRACE") : 5000,
  };
}
