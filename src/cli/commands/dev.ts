// `weir dev [path]` and `weir scheduler [path]`: one long-running process that loads every pipeline
// under the path (reloading changed files), creates the runs their schedules make due and runs them on a
// local worker pool. The server (UI and API) joins `weir dev` with the UI work.
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { SchedulerService } from "../../scheduler/service.js";
import { openStore } from "../../store/open-store.js";
import { resolveConfig } from "../config.js";
import { notifiersFromEnv } from "../notifiers.js";
import { say } from "../output.js";

export interface DevOptions {
  concurrency?: number;
}

export async function devCommand(path: string, options: DevOptions): Promise<void> {
  const config = resolveConfig();
  process.env.WEIR_HOME = config.home;
  const store = await openStore(config.databaseUrl, config.home);
  await store.migrate();
  let service: SchedulerService | null = null;
  const pool = new LocalWorkerPool({
    size: options.concurrency,
    killGraceMs: config.killGraceMs,
    onResult: (key, result, timing) => service?.coordinator.handleResult(key, result, timing),
    onCapacity: () => service?.coordinator.wake(),
  });
  const time = (): string => new Date().toISOString().slice(11, 23);
  service = new SchedulerService({
    notifiers: notifiersFromEnv(),
    store,
    executor: pool,
    clock: systemClock,
    home: config.home,
    root: path,
    onEvent: (event) => say(`${time()} ${event.kind === "error" ? "✖ " : ""}${event.message}`),
  });
  service.onRunChange((change) => {
    for (const t of change.transitions) {
      if (t.to === "running" || t.to === "success" || t.to === "failed" || t.to === "up_for_retry") {
        say(`${time()}   ${change.run.pipelineId} ${change.run.id} ${t.taskId} ${t.to}${t.error ? ` — ${t.error.name}: ${t.error.message.split("\n")[0]}` : ""}`);
      }
    }
  });

  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      say(`${time()} stopping (runs in flight resume at the next start)`);
      void (async () => {
        await service?.stop();
        await pool.close();
        await store.close();
        resolve();
      })();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  try {
    await service.start();
  } catch (error) {
    await pool.close();
    await store.close();
    throw error;
  }
  say(`${time()} scheduler running on ${config.home} (Ctrl-C to stop)`);
  await stopped;
}
