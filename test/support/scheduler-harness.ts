// A scheduler service on a ManualClock over a real store (SQLite, or Postgres when asked), with real worker
// processes, for the scheduler, event and completion-trigger tests: pipeline files in a scratch directory inside
// the package (so `import "weir"` resolves), events emitted through the shared command.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import type { Notifier } from "../../src/notify/index.js";
import { emitEvent } from "../../src/scheduler/commands/index.js";
import { ManualClock } from "../../src/scheduler/manual-clock.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import type { EventRecord, RunRecord, Store } from "../../src/store/types.js";
import { decodeValue } from "../../src/worker/value-codec.js";
import { openTestStore, type StoreKind } from "../support/test-stores.js";

export const T0 = Date.UTC(2025, 2, 10, 12, 0, 0); // the simulated "now" at start: 2025-03-10 12:00 UTC
export const DAY = 86_400_000;

/** Undone in reverse order by runCleanup (each test file: `afterEach(runCleanup)`). */
export const cleanup: (() => Promise<void> | void)[] = [];

export async function runCleanup(): Promise<void> {
  for (const undo of cleanup.splice(0).reverse()) await undo();
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, capMs = 30_000): Promise<void> {
  const until = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Harness {
  store: Store;
  clock: ManualClock;
  service: SchedulerService;
  dir: string;
  home: string;
  /** A new service on the same store and clock (after `service.stop()`, which may be called again). */
  restart(): Promise<SchedulerService>;
  emit(name: string, payload: unknown): Promise<EventRecord>;
  runs(pipelineId: string): Promise<RunRecord[]>;
  /** The decoded output of a task of a run. */
  output(runId: string, taskId: string): Promise<unknown>;
}

export async function setUp(files: Record<string, string>, kind: StoreKind = "sqlite", extra: { notifiers?: ReadonlyMap<string, Notifier> } = {}): Promise<Harness> {
  const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  const home = mkdtempSync(join(tmpdir(), "weir-service-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }), () => rmSync(home, { recursive: true, force: true }));
  const store = await openTestStore(kind, home);
  cleanup.push(() => store.close());
  const clock = new ManualClock(T0);
  const make = async (): Promise<SchedulerService> => {
    let service: SchedulerService | null = null;
    const pool = new LocalWorkerPool({ size: 2, onResult: (k, r, t) => service?.coordinator.handleResult(k, r, t), onCapacity: () => service?.coordinator.wake() });
    service = new SchedulerService({ store, executor: pool, clock, home, root: dir, watch: false, pollMs: 60_000, ...(extra.notifiers ? { notifiers: extra.notifiers } : {}) });
    const started = service;
    let stopped = false;
    const stop = started.stop.bind(started);
    started.stop = async () => {
      if (stopped) return;
      stopped = true;
      await stop();
    };
    cleanup.push(async () => {
      await started.stop();
      await pool.close();
    });
    await service.start();
    return service;
  };
  const harness: Harness = {
    store,
    clock,
    dir,
    home,
    service: await make(),
    restart: async () => (harness.service = await make()),
    emit: (name, payload) => emitEvent({ store, live: harness.service, clock }, { name, payload }),
    runs: async (pipelineId) => (await store.listRuns({ pipelineId, limit: 1000 })).sort((a, b) => a.logicalDateMs - b.logicalDateMs),
    output: async (runId, taskId) => {
      const text = (await store.getOutputs(runId, [taskId])).get(taskId);
      return text === undefined ? undefined : decodeValue(text);
    },
  };
  return harness;
}

export const allSucceeded = (h: Harness, pipelineId: string, count: number) => async (): Promise<boolean> => {
  const runs = await h.runs(pipelineId);
  return runs.length === count && runs.every((r) => r.state === "success");
};

/** Follows the service's runs: the most that were running at once so far. */
export function mostRunning(service: SchedulerService): () => number {
  const running = new Set<string>();
  let most = 0;
  service.onRunChange((change) => {
    if (change.runState === "running") running.add(change.run.id);
    else running.delete(change.run.id);
    most = Math.max(most, running.size);
  });
  return () => most;
}
