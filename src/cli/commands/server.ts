// `weir server [--port P] [--host H]`: the UI and API alone against the configured store (a scheduler runs
// elsewhere: `weir scheduler`). Params of a trigger are validated in a worker process it starts on demand.
// Commands on runs a scheduler process drives reach it as run requests through the store (docs/api.md).
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { describeStore, openStore } from "../../store/open-store.js";
import { resolveConfig } from "../config.js";
import { say } from "../output.js";
import { startApiServer, type ServeOptions } from "../serve-api.js";

export async function serverCommand(options: ServeOptions): Promise<void> {
  const config = resolveConfig();
  process.env.WEIR_HOME = config.home;
  const store = await openStore(config.databaseUrl, config.home);
  await store.migrate();
  // Only for loading pipeline files and validating params: tries run under a scheduler, not here.
  const workers = new LocalWorkerPool({ size: 1, killGraceMs: config.killGraceMs, onResult: () => {} });
  let server;
  try {
    server = await startApiServer({ store, home: config.home, workers }, options);
  } catch (error) {
    await workers.close();
    await store.close();
    throw error;
  }
  say(`weir: serving the UI and API on ${server.url} (store: ${describeStore(store)}; Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void (async () => {
        await server.close();
        await workers.close();
        await store.close();
        resolve();
      })();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
