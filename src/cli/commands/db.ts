// `weir db migrate [--json]`: creates or upgrades the store's schema explicitly, for deployments that turn
// automatic migration off (WEIR_AUTO_MIGRATE=0) and migrate as a release step. Safe to run from several
// processes at once: the store migrates under a lock (an advisory lock on Postgres) and each step runs once.
import { describeStore, openStore } from "../../store/open-store.js";
import { SqlStore } from "../../store/sql-store.js";
import { resolveConfig } from "../config.js";
import { printJson, say } from "../output.js";

export async function dbMigrateCommand(options: { json?: boolean }): Promise<void> {
  const config = resolveConfig();
  const store = await openStore(config.databaseUrl, config.home, { autoMigrate: true });
  try {
    const where = describeStore(store);
    if (!(store instanceof SqlStore)) {
      await store.migrate();
      say(`weir: ${where} is up to date`);
      return;
    }
    const report = await store.migrateNow();
    if (options.json) {
      printJson({ store: where, from: report.from, to: report.to, applied: report.applied });
      return;
    }
    say(
      report.applied.length === 0
        ? `weir: ${where} is up to date (schema version ${report.to})`
        : `weir: migrated ${where} from schema version ${report.from} to ${report.to} (${report.applied.length} step${report.applied.length === 1 ? "" : "s"})`,
    );
  } finally {
    await store.close();
  }
}
