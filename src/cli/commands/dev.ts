// `weir dev [path]` and `weir scheduler [path]`: one long-running process that loads every pipeline
// under the path (reloading changed files), creates the runs their schedules make due and runs them on a
// local worker pool. `weir dev` also serves the UI and API (http://127.0.0.1:8080 by default), in-process:
// the API's commands go to this scheduler. `weir scheduler` serves them only when given --port.
// Several `weir scheduler`s may run against one store (docs/distributed.md, "Several schedulers"): one holds
// the scheduler lease and schedules, the others wait as standbys (their pipelines loaded and followed meanwhile:
// scheduler-standby.ts) and take over when it stops or goes silent;
// one that was taken over (frozen past its lease) stops and waits as a standby again. `weir dev`, the
// single-process development mode, refuses to start while another scheduler runs (`scheduler_running`).
import type { ChildProcess } from "node:child_process";
import { WeirError } from "../../common/errors.js";
import { formatDuration, parseDuration } from "../../define/duration.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { newOwnerId, retireOwnerId } from "../../scheduler/owner.js";
import { DEFAULT_SCHEDULER_LEASE_MS, SCHEDULER_LEASE, SchedulerLease, waitForLease } from "../../scheduler/scheduler-lease.js";
import { SchedulerService } from "../../scheduler/service.js";
import { openStore } from "../../store/open-store.js";
import type { Store } from "../../store/types.js";
import { resolveConfig, type CliConfig } from "../config.js";
import { notifiersFromEnv } from "../notifiers.js";
import { executorKind, openExecutor, type ExecutorChoice, type ExecutorKind } from "../executor-choice.js";
import { standBy, type Standby } from "./scheduler-standby.js";
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
  /** Wait as a standby while another scheduler holds the lease (`weir scheduler`: yes; `weir dev`: refuse). */
  standby?: boolean;
}

/** The scheduler lease's TTL: WEIR_SCHEDULER_LEASE (a duration, at least 1s), default 10s. */
export function schedulerLeaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.WEIR_SCHEDULER_LEASE;
  if (text === undefined || text === "") return DEFAULT_SCHEDULER_LEASE_MS;
  const ms = parseDuration(text, "WEIR_SCHEDULER_LEASE");
  if (ms < 1000) throw new WeirError("lease_invalid", `WEIR_SCHEDULER_LEASE must be at least 1s, got ${JSON.stringify(text)}`);
  return ms;
}

const time = (): string => new Date().toISOString().slice(11, 23);

export async function devCommand(path: string, options: DevOptions): Promise<void> {
  const config = resolveConfig();
  process.env.WEIR_HOME = config.home;
  // Bad input fails before anything is created.
  const executor = executorKind(options.executor);
  const leaseTtlMs = schedulerLeaseMs();
  const store = await openStore(config.databaseUrl, config.home);
  const stopping = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  try {
    await store.migrate();
    for (;;) {
      const owner = newOwnerId("scheduler");
      // Held before anything else touches the store as a scheduler: the store executor adopts the tries in
      // flight (fenced by this lease), so a process that is refused takes nothing from the running scheduler.
      const lease = new SchedulerLease(store, owner, leaseTtlMs);
      const hooks: Hooks = { service: null };
      const session: Session = { config, store, executor, owner, lease, leaseTtlMs, stopping, hooks, standby: null };
      if (options.standby) {
        // Loaded while waiting (scheduler-standby.ts): taking over then costs no load.
        session.standby = await standBy(path, executor, executorChoice(session, options), (kind, line) => say(`${time()} ${kind === "error" ? "✖ " : ""}${line}`));
        const onStandby = (holder: string): void =>
          say(`${time()} standby: scheduler ${holder} holds the lease; taking over when it stops or its lease expires (WEIR_SCHEDULER_LEASE ${formatDuration(leaseTtlMs)})`);
        const onError = (message: string): void => say(`${time()} ✖ ${message}`);
        if (!(await waitForLease(lease, { onStandby, onError, stopped: stopping }))) {
          await session.standby.close();
          retireOwnerId(owner);
          return;
        }
        say(`${time()} standby: took the scheduler lease; scheduling with the pipelines loaded`);
      } else if (!(await lease.acquire())) {
        retireOwnerId(owner);
        throw new WeirError("scheduler_running", `another scheduler is running against this store (${(await lease.holder()) ?? "unknown"}); stop it first`);
      }
      let ended: Awaited<ReturnType<typeof schedule>>;
      try {
        ended = await schedule(path, options, session);
      } catch (error) {
        // A standby outlives a store that fails while it takes over: it gives the lease up and waits again.
        if (!options.standby || !isStoreError(error)) throw error;
        say(`${time()} ✖ taking over: ${describeFailure(error).line}`);
        await lease.release().catch(() => undefined);
        retireOwnerId(owner);
        await Promise.race([new Promise((resolve) => setTimeout(resolve, lease.renewEveryMs)), stopping]);
        ended = error instanceof Error ? error : new Error(String(error));
      } finally {
        await session.standby?.close();
      }
      if (ended === "stopped") return;
      if (!options.standby) {
        if (ended instanceof Error) throw ended;
        throw new WeirError("scheduler_fenced", "another scheduler took the scheduler lease over; stopped", { input: false });
      }
      say(`${time()} standby again`);
    }
  } finally {
    await store.close();
  }
}

/** The store failed (busy, unreachable): worth another try later, unlike bad input or a bug. */
function isStoreError(error: unknown): boolean {
  return error instanceof WeirError && (error.code === "store_busy" || error.code === "store_unopenable");
}

interface Session {
  config: CliConfig;
  store: Store;
  executor: ExecutorKind;
  owner: string;
  /** Held by `owner` already: kept extended here until the service keeps it. */
  lease: SchedulerLease;
  leaseTtlMs: number;
  stopping: Promise<void>;
  hooks: Hooks;
  /** A standby's pool and pipelines, loaded while it waited for the lease. */
  standby: Standby | null;
}

/** The service the executor's results go to, once it exists. */
interface Hooks {
  service: SchedulerService | null;
}

function executorChoice(session: Session, options: DevOptions): ExecutorChoice {
  const { config, store, owner, hooks } = session;
  return {
    store,
    home: config.home,
    decodesOutput: (tryKey) => hooks.service?.coordinator.decodesOutput(tryKey) ?? true,
    concurrency: options.concurrency ?? config.localWorkers,
    killGraceMs: config.killGraceMs,
    fence: { lease: SCHEDULER_LEASE, owner },
    onResult: (key, result, timing) => hooks.service?.coordinator.handleResult(key, result, timing),
    onCapacity: () => hooks.service?.coordinator.wake(),
    onEvent: (line) => say(`${time()} ${line}`),
  };
}

/**
 * Schedules while this process holds the lease: until Ctrl-C ("stopped"), another scheduler took over
 * ("lost"), or the coordinator stopped on a store error (that error; the lease was given up).
 */
async function schedule(path: string, options: DevOptions, session: Session): Promise<"stopped" | "lost" | Error> {
  const { config, store, owner } = session;
  let lost = (): void => {};
  const leaseLost = new Promise<"lost">((resolve) => (lost = () => resolve("lost")));
  let failed = (_error: Error): void => {};
  const coordinatorFailed = new Promise<Error>((resolve) => (failed = resolve));
  // Until the service keeps the lease (service.start): opening the executor and loading pipelines may take
  // longer than the TTL.
  let stopKeeping: (() => void) | null = session.lease.keep(lost, (message) => say(`${time()} ✖ ${message}`));
  const handOver = (): void => {
    stopKeeping?.();
    stopKeeping = null;
  };
  let pool: Awaited<ReturnType<typeof openExecutor>>;
  try {
    pool = session.standby ? await session.standby.openExecutor() : await openExecutor(session.executor, executorChoice(session, options));
  } catch (error) {
    handOver();
    // The lease lapsed and another scheduler took it before the adoption committed: nothing was taken.
    if (error instanceof WeirError && error.code === "scheduler_fenced") return "lost";
    throw error;
  }
  const metrics = new ApiMetrics();
  const service = new SchedulerService({
    onTick: metrics.observeTick,
    notifiers: notifiersFromEnv(),
    store,
    executor: pool,
    clock: systemClock,
    home: config.home,
    root: path,
    ...(session.standby ? { registry: session.standby.registry } : {}),
    owner,
    leaseTtlMs: session.leaseTtlMs,
    onLeaseLost: lost,
    onFailed: failed,
    onEvent: (event) => say(`${time()} ${event.kind === "error" ? "✖ " : ""}${event.message}`),
  });
  session.hooks.service = service;
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
  try {
    await service.start();
  } catch (error) {
    handOver();
    await apiWorkers.close();
    await pool.close();
    // The lease lapsed before the service took it on and another scheduler holds it now: a standby again.
    if (options.standby && error instanceof WeirError && error.code === "scheduler_running") return "lost";
    throw error;
  } finally {
    handOver();
  }
  say(`${time()} scheduler running on ${config.home} as ${owner} (Ctrl-C to stop)`);
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
  const ended = await Promise.race([session.stopping.then(() => "stopped" as const), leaseLost, coordinatorFailed]);
  if (ended === "stopped") say(`${time()} stopping (runs in flight resume at the next start)`);
  await server?.close();
  await stopTriggererChild(triggerer);
  await apiWorkers.close();
  await service.stop();
  await pool.close();
  return ended;
}
