// The loop of one `weir worker` process (docs/distributed.md): register, claim tries of its queues up to its
// concurrency, run them on its own LocalWorkerPool, write each result back under its claim, heartbeat, and
// obey abort requests. A worker told by a failed heartbeat that it was declared lost aborts what it holds
// (their results would be refused anyway) and registers again under a new id.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { DistributedStore } from "../../store/distributed-types.js";
import type { TryJob, TryResult } from "../../worker/protocol.js";
import { LocalWorkerPool } from "../local-pool.js";
import { LogShipper } from "./log-shipper.js";
import { heartbeatMsFromEnv } from "./store-queue-executor.js";

export interface RemoteWorkerOptions {
  store: DistributedStore;
  queues: string[];
  concurrency: number;
  version: string;
  /** The job as this machine must run it (its own pipeline file), or the result that refuses it. */
  prepareJob: (job: TryJob) => Promise<TryJob | TryResult>;
  /** Makes a success's output readable on every machine (its artifact copied into the store) before it is reported. */
  shareOutput?: (result: TryResult) => Promise<void>;
  /** Lines for the worker's own output. */
  onEvent?: (line: string) => void;
  killGraceMs?: number;
  /** Between claims when idle (default 50 ms; 500 ms where the store wakes us, Postgres). */
  pollMs?: number;
  heartbeatMs?: number;
  /** The pool's worker script (tests; default dist/worker.js). */
  workerScript?: string;
}

export class RemoteWorker {
  id: string;
  private readonly pool: LocalWorkerPool;
  private readonly running = new Map<string, TryJob>();
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** The claim in progress: one at a time. */
  private claiming: Promise<void> | null = null;
  /** A wake-up came while claiming: claim once more after. */
  private claimAgain = false;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private readonly say: (line: string) => void;
  private readonly baseId: string;
  private readonly logs: LogShipper;
  /** Tries refused before they ran: no log of theirs to ship. */
  private readonly refused = new Set<string>();
  /** Tries being reported: their final log shipment is under way, and a heartbeat's would start their log over. */
  private readonly finishing = new Set<string>();
  private generation = 0;

  constructor(private readonly options: RemoteWorkerOptions) {
    this.baseId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.id = this.baseId;
    this.say = options.onEvent ?? (() => {});
    this.logs = new LogShipper(options.store, (error) => this.say(`✖ shipping a log failed: ${String(error)}`));
    this.pool = new LocalWorkerPool({
      size: options.concurrency,
      killGraceMs: options.killGraceMs,
      ...(options.workerScript ? { workerScript: options.workerScript } : {}),
      onResult: (tryKey, result, timing) => void this.report(tryKey, result, timing),
    });
  }

  async start(): Promise<void> {
    await this.register();
    // Postgres: queued tries wake us at once; polling stays, for a lost connection.
    this.unsubscribe = await this.options.store.subscribe("queue", () => void this.claim());
    this.pollTimer = setInterval(() => void this.claim(), this.options.pollMs ?? (this.unsubscribe === null ? 50 : 500));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs ?? heartbeatMsFromEnv());
    await this.claim();
  }

  /** Stops claiming; tries still running are reported lost (the scheduler retries them) and the worker leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.unsubscribe?.();
    // Tries a claim in progress takes are started, then reported lost with the rest by close().
    await this.claiming;
    await this.pool.close();
    // Results written by close()'s reports are awaited through `report`; give them their turn.
    await Promise.all([...this.reporting]);
    await this.options.store.stopWorker(this.id);
  }

  private async register(): Promise<void> {
    const { queues, concurrency, version } = this.options;
    await this.options.store.registerWorker({ id: this.id, host: hostname(), pid: process.pid, queues, slots: concurrency, version }, Date.now());
    this.say(`worker ${this.id} serving ${queues.join(", ")} with ${concurrency} slot${concurrency === 1 ? "" : "s"}`);
  }

  private claim(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.claiming !== null) {
      this.claimAgain = true;
      return this.claiming;
    }
    // `.finally` runs after the assignment even when claimNow ends without awaiting (the worker is full).
    const run = this.claimNow().finally(() => {
      this.claiming = null;
      if (this.claimAgain) {
        this.claimAgain = false;
        void this.claim();
      }
    });
    this.claiming = run;
    return run;
  }

  private async claimNow(): Promise<void> {
    try {
      const free = this.options.concurrency - this.running.size;
      if (free <= 0) return;
      const claimed = await this.options.store.claimTries(this.id, this.options.queues, free, Date.now());
      for (const { jobJson } of claimed) await this.start1(JSON.parse(jobJson) as TryJob);
    } catch (error) {
      this.say(`✖ claiming failed: ${String(error)}`);
    }
  }

  private async start1(job: TryJob): Promise<void> {
    this.running.set(job.tryKey, job);
    const prepared = await this.options.prepareJob(job).catch(
      (error: unknown): TryResult => ({
        outcome: "failure",
        error: { name: "WorkerPrepareError", message: `worker ${this.id} couldn't prepare the try: ${error instanceof Error ? error.message : String(error)}`, kind: "error", retryable: true },
      }),
    );
    if ("outcome" in prepared) {
      this.refused.add(job.tryKey);
      this.say(`✖ refused ${job.tryKey}: ${prepared.outcome === "failure" ? prepared.error.message : prepared.outcome}`);
      await this.report(job.tryKey, prepared, { startedMs: Date.now(), endedMs: Date.now() });
      return;
    }
    this.running.set(job.tryKey, prepared);
    this.say(`running ${job.tryKey}`);
    this.pool.submit(prepared);
  }

  private readonly reporting = new Set<Promise<void>>();

  private report(tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }): Promise<void> {
    const job = this.running.get(tryKey);
    if (result.outcome === "failure" && result.error.name === "PipelineVersionUnavailableError" && !result.error.message.startsWith("worker ")) {
      // Say which machine's code it was: the scheduler's file may well have that version.
      result = { ...result, error: { ...result.error, message: `worker ${this.id} can't run it: ${result.error.message}` } };
    }
    this.finishing.add(tryKey);
    const work = (async () => {
      try {
        if (result.outcome === "success" && this.options.shareOutput) result = await this.sharedOrFailed(result);
        if (job !== undefined && !this.refused.delete(tryKey)) await this.logs.ship(tryKey, job.logPath, true);
        const held = await this.options.store.completeTry(this.id, {
          tryKey,
          resultJson: JSON.stringify(result),
          startedMs: timing?.startedMs ?? null,
          endedMs: timing?.endedMs ?? null,
        });
        this.say(held ? `${tryKey} ${result.outcome}` : `result of ${tryKey} ignored: this worker no longer holds it (declared lost or aborted)`);
      } catch (error) {
        this.say(`✖ reporting ${tryKey} failed: ${String(error)}`);
      } finally {
        this.running.delete(tryKey);
        this.finishing.delete(tryKey);
      }
      void this.claim();
    })();
    this.reporting.add(work);
    void work.finally(() => this.reporting.delete(work));
    return work;
  }

  /** A success whose output couldn't be shared fails, retryably: reported as is, no other machine could read it. */
  private async sharedOrFailed(result: TryResult): Promise<TryResult> {
    try {
      await this.options.shareOutput?.(result);
      return result;
    } catch (error) {
      const message = `worker ${this.id} couldn't copy the try's output to the store: ${error instanceof Error ? error.message : String(error)}`;
      return { outcome: "failure", error: { name: "OutputNotSharedError", message, kind: "error", retryable: true } };
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const { store } = this.options;
    try {
      if (!(await store.heartbeat(this.id, this.running.size, Date.now()))) {
        this.say(`✖ worker ${this.id} was declared lost: aborting its ${this.running.size} tr${this.running.size === 1 ? "y" : "ies"} and registering again`);
        for (const tryKey of this.running.keys()) this.pool.abort(tryKey, "canceled");
        this.id = `${this.baseId}-${++this.generation}`;
        await this.register();
        return;
      }
      for (const [tryKey, job] of this.running) if (!this.refused.has(tryKey) && !this.finishing.has(tryKey)) void this.logs.ship(tryKey, job.logPath, false);
      for (const request of await store.abortRequests(this.id)) {
        if (this.running.has(request.tryKey)) this.pool.abort(request.tryKey, request.reason);
      }
    } catch (error) {
      this.say(`✖ heartbeat failed: ${String(error)}`);
    }
  }
}
