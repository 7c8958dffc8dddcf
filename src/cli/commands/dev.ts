// `weir dev [path]` and `weir scheduler [path]`: one long-running process that loads every pipeline
// under the path (reloading changed files), creates the runs their schedules make due and runs them on a
// local worker pool. `weir dev` also serves the UI and API (http://127.0.0.1:8080 by default), in-process:
// the API's commands go to this scheduler. `weir scheduler` serves them only when given --port.
import type { ChildProcess } from "node:child_process";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { SchedulerService } from "../../scheduler/service.js";
import { openStore } from "../../store/open-store.js";
import { resolveConfig } from "../config.js";
import { notifiersFromEnv } from "../notifiers.js";
import { executorKind, openExecutor } from "../executor-choice.js";
import { ApiMetrics } from "../../api/metrics.js";
import type { RunningServer } from "../../api/server.js";
import { describeFailure, say } from "../output.js";
import { startApiServer } from "../serve-api.js";
import { startTriggererChild, stopTriggererChild } from "../triggerer-child.js";

export interface DevOptions {
  concurrency?: number;
  /** "local" (default) or "store": tries go to `weir worker`s through the store (WEIR_EXECUTOR). */
  executor?: string;
  /** Serve the UI and API (`weir dev`: yes; `weir scheduler`: only with --port). */
  serve?: boolean;
  port?: string;
  host?: string;
  /** Start a trigger loop (`weir triggerer`) as a child process for deferred sensors (`weir dev`: yes). */
  triggerer?: boolean;
}

export async function devCommand(path: string, options: DevOptions): Promise<void> {
  const config = resolveConfig();
  process.env.WEIR_HOME = config.home;
  const executor = executorKind(options.executor); // bad input fails before anything is created
  const store = await openStore(config.databaseUrl, config.home);
  await store.migrate();
  let service: SchedulerService | null = null;
  const time = (): string => new Date().toISOString().slice(11, 23);
  const pool = await openExecutor(executor, {
    store,
    concurrency: options.concurrency,
    killGraceMs: config.killGraceMs,
    onResult: (key, result, timing) => service?.coordinator.handleResult(key, result, timing),
    onCapacity: () => service?.coordinator.wake(),
    onEvent: (line) => say(`${time()} ${line}`),
  });
  const metrics = new ApiMetrics();
  service = new SchedulerService({
    onTick: metrics.observeTick,
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

  let server: RunningServer | null = null;
  let triggerer: ChildProcess | null = null;
  // The API's triggers load the file and validate params in a worker of their own: the pool's workers may
  // all be holding long tries, and a request waits for a worker that holds none. Forked on first use.
  const apiWorkers = new LocalWorkerPool({ size: 1, killGraceMs: config.killGraceMs, onResult: () => {} });
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      say(`${time()} stopping (runs in flight resume at the next start)`);
      void (async () => {
        await server?.close();
        await stopTriggererChild(triggerer);
        await apiWorkers.close();
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
    await apiWorkers.close();
    await pool.close();
    await store.close();
    throw error;
  }
  say(`${time()} scheduler running on ${config.home} (Ctrl-C to stop)`);
  if (options.triggerer) triggerer = startTriggererChild();
  if (options.serve || options.port !== undefined) {
    try {
      server = await startApiServer({ store, home: config.home, workers: apiWorkers, scheduler: service, metrics, workerCount: () => pool.stats().workers }, options);
      say(`${time()} UI and API on ${server.url}`);
    } catch (error) {
      // The scheduler is this command's main job: it goes on without the server, and says why.
      say(`${time()} ✖ not serving the UI and API: ${describeFailure(error).line}`);
    }
  }
  await stopped;
}

