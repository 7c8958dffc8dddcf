// The API tests' harness: a real SQLite store in a temp WEIR_HOME, real worker processes, the API app on a
// free port, with the scheduler service in the same process (as `weir dev` runs it) or without (as
// `weir server` alone). Requests go over HTTP with fetch, as a browser's would.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiMetrics } from "../../src/api/metrics.js";
import { createApiApp, listen, type RunningServer } from "../../src/api/server.js";
import type { ApiError } from "../../src/api/types.js";
import { LocalWorkerPool } from "../../src/executor/local-pool.js";
import { systemClock } from "../../src/scheduler/clock.js";
import { SchedulerService } from "../../src/scheduler/service.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";

export const FIXTURES = join(import.meta.dirname, "fixtures");

export interface Harness {
  home: string;
  store: Store;
  url: string;
  service: SchedulerService | null;
  call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string; headers: Headers }>;
  /** A file in WEIR_HOME that the fixtures look at (fail, hold). */
  marker(name: string, present: boolean): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Run the scheduler service in this process (default true). */
  scheduler?: boolean;
  /** Pipeline files to load (default: the fixtures directory). */
  root?: string;
  pollMs?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const home = mkdtempSync(join(tmpdir(), "weir-api-"));
  process.env.WEIR_HOME = home;
  const store = openSqliteStore({ path: join(home, "weir.db") });
  await store.migrate();
  let service: SchedulerService | null = null;
  const metrics = new ApiMetrics();
  const pool = new LocalWorkerPool({
    size: 2,
    env: { WEIR_HOME: home },
    onResult: (key, result, timing) => service?.coordinator.handleResult(key, result, timing),
    onCapacity: () => service?.coordinator.wake(),
  });
  if (options.scheduler ?? true) {
    service = new SchedulerService({ store, executor: pool, clock: systemClock, home, root: options.root ?? FIXTURES, watch: false, pollMs: 200, onTick: metrics.observeTick });
    await service.start();
  }
  const { app, close } = createApiApp({ store, home, workers: pool, scheduler: service, workerCount: () => pool.size, metrics, pollMs: options.pollMs ?? 100 });
  const server: RunningServer = await listen(app, 0, "127.0.0.1");
  return {
    home,
    store,
    url: server.url,
    service,
    async call<T>(method: string, path: string, body?: unknown) {
      const init: RequestInit = { method };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      const response = await fetch(`${server.url}${path}`, init);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // text/plain answers stay text
      }
      return { status: response.status, body: parsed as T, text, headers: response.headers };
    },
    marker(name, present) {
      const path = join(home, name);
      if (present) writeFileSync(path, "");
      else rmSync(path, { force: true });
    },
    async close() {
      close();
      await server.close();
      await service?.stop();
      await pool.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Everything the API could change, read back through the store: equal before and after a bad request. */
export async function storeSnapshot(store: Store): Promise<unknown> {
  const runs = await store.listRuns({ limit: 10_000 });
  return {
    pipelines: (await store.listPipelines()).map((p) => ({ id: p.id, version: p.version, paused: p.paused })),
    runs: runs.map((r) => ({ id: r.id, state: r.state, owner: r.owner, endedMs: r.endedMs })),
    instances: await Promise.all(runs.map((r) => store.listTaskInstances(r.id))),
    tries: await Promise.all(runs.map((r) => store.listTries(r.id))),
    backfills: await store.listBackfills(),
    pools: await store.listPools(),
  };
}

/** The error body of a 4xx answer, checked for the contract's shape: code, message, no stack. */
export function apiError(answer: { status: number; body: unknown; text: string }, status: number): ApiError["error"] {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
  const body = answer.body as ApiError;
  if (typeof body?.error?.code !== "string" || typeof body.error.message !== "string") throw new Error(`not an API error: ${answer.text}`);
  if (answer.text.includes("    at ")) throw new Error(`stack trace in the answer: ${answer.text}`);
  return body.error;
}

/** Polls a condition; never a fixed sleep standing in for one. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, capMs = 30_000): Promise<T> {
  const until = Date.now() + capMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A temp directory inside test/api (so `import "weir"` resolves) for pipeline files written by a test. */
export function tempPipelineDir(): { dir: string; remove(): void } {
  const dir = join(import.meta.dirname, `.tmp-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  return { dir, remove: () => existsSync(dir) && rmSync(dir, { recursive: true, force: true }) };
}
