// Sensors under test: a scheduler service in this process on the system clock over a real SQLite file (or Postgres), real
// worker processes, and the trigger loop as a real child process (`bin/weir.js triggerer`, built dist/), as
// `weir dev` runs them. Pipeline files are written to a scratch directory per test.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InstanceTransition } from "../../src/engine/types.js";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { systemClock } from "../../src/scheduler/clock.js";
import { triggerRun } from "../../src/scheduler/commands/index.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import { cleanup, waitFor } from "../support/scheduler-harness.js";
import { newTestStoreLocation, type StoreKind } from "../support/test-stores.js";
import type { RunRecord, Store, TaskInstanceRecord } from "../../src/store/types.js";
import { decodeValue } from "../../src/worker/value-codec.js";

const BIN = join(import.meta.dirname, "../../bin/weir.js");

export { cleanup, runCleanup, waitFor } from "../support/scheduler-harness.js";

export interface Harness {
  store: Store;
  service: SchedulerService;
  dir: string;
  home: string;
  /** Every committed transition, in order, as "task:to". */
  seen: string[];
  trigger(pipelineId: string, params?: Record<string, unknown>, logicalDate?: string): Promise<RunRecord>;
  /** Starts a trigger loop process (`weir triggerer`). */
  startTriggerer(): ChildProcess;
  /** kill -9 of a process and wait for its end. */
  kill(child: ChildProcess): Promise<void>;
  waitRun(runId: string, capMs?: number): Promise<RunRecord>;
  instance(runId: string, taskId: string): Promise<TaskInstanceRecord | undefined>;
  output(runId: string, taskId: string): Promise<unknown>;
  /** The scheduler's worker pool (its free slots). */
  workers(): LocalWorkerPool;
  /** A new scheduler service on the same store (after `service.stop()`). */
  restart(): Promise<SchedulerService>;
}

export async function setUp(files: Record<string, string>, options: { workers?: number; kind?: StoreKind } = {}): Promise<Harness> {
  const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const home = mkdtempSync(join(tmpdir(), "weir-sensors-"));
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source.replaceAll("$DIR", dir).replaceAll("$HOME", home));
  // Retried: a killed loop's orphaned check workers may still be closing their logs.
  cleanup.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }), () => rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
  const location = await newTestStoreLocation(options.kind ?? "sqlite", home);
  const store = await location.open();
  await store.migrate();
  cleanup.push(() => store.close());
  const seen: string[] = [];
  let pool: LocalWorkerPool | null = null;
  const make = async (): Promise<SchedulerService> => {
    let service: SchedulerService | null = null;
    const own = new LocalWorkerPool({ size: options.workers ?? 2, env: { WEIR_HOME: home }, onResult: (k, r, t) => service?.coordinator.handleResult(k, r, t), onCapacity: () => service?.coordinator.wake() });
    pool = own;
    service = new SchedulerService({ store, executor: own, clock: systemClock, home, root: dir, watch: false, pollMs: 100 });
    service.onRunChange((change) => seen.push(...change.transitions.map((t: InstanceTransition) => `${t.taskId}:${t.to}`)));
    const started = service;
    let stopped = false;
    const stop = started.stop.bind(started);
    started.stop = async () => {
      if (stopped) return;
      stopped = true;
      await stop();
      await own.close();
    };
    cleanup.push(() => started.stop());
    await service.start();
    return service;
  };
  const harness: Harness = {
    store,
    dir,
    home,
    seen,
    service: await make(),
    restart: async () => (harness.service = await make()),
    workers: () => pool as unknown as LocalWorkerPool,
    async trigger(pipelineId, params, logicalDate) {
      const { run } = await triggerRun({ store, live: harness.service, clock: systemClock }, pool as LocalWorkerPool, { pipelineId, ...(params ? { params } : {}), logicalDate });
      harness.service.wake();
      return run;
    },
    startTriggerer() {
      const child = spawn(process.execPath, [BIN, "triggerer", "--concurrency", "2"], { env: { ...process.env, WEIR_HOME: home, WEIR_DATABASE_URL: location.databaseUrl ?? "" }, stdio: ["ignore", "ignore", "inherit"], detached: true });
      cleanup.push(() => stopGracefully(child));
      return child;
    },
    async kill(child) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      // The whole group: its check workers go with it, as with a kill -9 of a real process tree's leader.
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      await exited;
    },
    async waitRun(runId, capMs = 30_000) {
      let run: RunRecord | null = null;
      await waitFor(`run ${runId} to end`, async () => {
        run = await store.getRun(runId);
        return run !== null && ["success", "failed", "canceled"].includes(run.state);
      }, capMs);
      return run as unknown as RunRecord;
    },
    async instance(runId, taskId) {
      return (await store.listTaskInstances(runId)).find((i) => i.taskId === taskId);
    },
    async output(runId, taskId) {
      const text = (await store.getOutputs(runId, [taskId])).get(taskId);
      return text === undefined ? undefined : decodeValue(text);
    },
  };
  return harness;
}

/** SIGTERM: the loop stops, closes its check workers and exits. */
async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}
