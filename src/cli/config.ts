// Where Weir keeps its state: WEIR_HOME (default ./.weir) and the store URL (default: SQLite in WEIR_HOME).
import { resolve } from "node:path";

export interface CliConfig {
  home: string;
  databaseUrl: string | undefined;
}

export function resolveConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  return {
    home: resolve(env.WEIR_HOME ?? ".weir"),
    databaseUrl: env.WEIR_DATABASE_URL || undefined,
  };
}
