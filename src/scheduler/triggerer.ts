// The trigger loop (`weir triggerer`, docs/sensors.md, docs/adr/0007): a process of its own that claims due
// sensor waits from the store under a lease, runs each check — user checks in worker processes of its own,
// one check per try, with a per-check timeout; SQL and external-task probes against their databases — and
// writes what each came to. The scheduler never runs a check; this loop never changes an instance's state.
import type { Store } from "../store/types.js";
import type { SensorWaitRecord } from "../store/sensor-types.js";
import { SENSOR_NOT_READY } from "../define/sensor.js";
import type { TryJob, TryResult } from "../worker/protocol.js";
import type { Clock } from "./clock.js";
import { isOwnerAlive, newOwnerId, retireOwnerId } from "./owner.js";
import { answerProbe, type CheckAnswer } from "./sensor-probes.js";

/** Longer than one check may take (the graph caps a deferred check at 60 s): a lease never lapses mid-check. */
const LEASE_MS = 120_000;
/** Longest sleep between looks at the store: how soon a newly deferred sensor gets its first check. */
const IDLE_MS = 200;
/** How often leases of loops that are certainly gone are taken over. */
const TAKEOVER_EVERY_MS = 2_000;
const PROBE_TIMEOUT_MS = 30_000;

/** Where user checks run: worker processes (a LocalWorkerPool whose workers check once per try). */
export interface CheckWorkers {
  submit(job: TryJob): void;
}

export interface TriggererOptions {
  store: Store;
  clock: Clock;
  workers: CheckWorkers;
  /** Checks at once (default 8): its own small limit, apart from the scheduler's worker slots. */
  concurrency?: number;
  onEvent?: (message: string) => void;
}

export class Triggerer {
  readonly owner = newOwnerId();
  private readonly pending = new Map<string, (result: TryResult) => void>();
  private active = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private lastTakeover = 0;
  private loop: Promise<void> | null = null;
  private readonly concurrency: number;

  constructor(private readonly options: TriggererOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  /** A worker's result for a check job. */
  readonly handleResult = (tryKey: string, result: TryResult): void => {
    const settle = this.pending.get(tryKey);
    this.pending.delete(tryKey);
    settle?.(result);
  };

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops claiming; checks in flight finish and are recorded (their leases end with them). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    while (this.active > 0) await new Promise((r) => setTimeout(r, 20));
    await this.options.store.sensors.releaseLeases(this.owner);
    retireOwnerId(this.owner);
  }

  private async run(): Promise<void> {
    const { store, clock } = this.options;
    while (!this.stopped) {
      try {
        if (clock.now() - this.lastTakeover >= TAKEOVER_EVERY_MS) await this.takeOverDeadLeases();
        const free = this.concurrency - this.active;
        // A read first: the claim is a write transaction, taken only when something is due (SQLite has one writer).
        const due = free > 0 ? await store.sensors.nextDueMs() : null;
        if (due !== null && due <= clock.now()) {
          for (const wait of await store.sensors.claimDue(this.owner, clock.now(), LEASE_MS, free)) {
            this.active++;
            void this.check(wait).finally(() => {
              this.active--;
              this.wake?.();
            });
          }
        }
        const next = this.active >= this.concurrency ? null : await store.sensors.nextDueMs();
        await this.sleep(next === null ? IDLE_MS : Math.min(IDLE_MS, Math.max(5, next - clock.now())));
      } catch (error) {
        this.options.onEvent?.(`✖ trigger loop: ${error instanceof Error ? error.message : String(error)}`);
        await this.sleep(1000);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /** A loop of this host that died (kill -9) left leases: its waits are checked again now, not at lease expiry. */
  private async takeOverDeadLeases(): Promise<void> {
    this.lastTakeover = this.options.clock.now();
    for (const owner of await this.options.store.sensors.leaseOwners()) {
      if (owner !== this.owner && !isOwnerAlive(owner)) await this.options.store.sensors.releaseLeases(owner);
    }
  }

  private async check(wait: SensorWaitRecord): Promise<void> {
    const { store, clock } = this.options;
    const job = JSON.parse(wait.jobJson) as TryJob;
    let answer: CheckAnswer;
    try {
      answer = wait.probe !== null ? await withTimeout(answerProbe(wait.probe, job, store, PROBE_TIMEOUT_MS), PROBE_TIMEOUT_MS) : await this.runCheck(job);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      answer = { kind: "done", result: { outcome: "failure", error: { name: "SensorCheckError", message, retryable: true, kind: "error" } } };
    }
    const nowMs = clock.now();
    const key = { runId: wait.runId, taskId: wait.taskId, mapIndex: wait.mapIndex, tryNumber: wait.tryNumber };
    if (answer.kind === "not_yet") {
      const deadline = wait.timeoutMs === null ? null : wait.firstCheckMs + wait.timeoutMs;
      if (deadline !== null && nowMs >= deadline) answer = { kind: "done", result: timedOut(wait) };
      else {
        // The last check is at the deadline itself, so a sensor times out on time, not up to a poke late.
        const nextCheckMs = deadline === null ? nowMs + wait.pokeIntervalMs : Math.min(nowMs + wait.pokeIntervalMs, deadline);
        await store.sensors.recordCheck(key, this.owner, { kind: "not_yet", nextCheckMs }, nowMs);
        return;
      }
    }
    await store.sensors.recordCheck(key, this.owner, { kind: "done", resultJson: JSON.stringify(answer.result) }, nowMs);
  }

  /** One check in a worker: "not yet" comes back as the SensorNotReady failure, anything else is the try's result. */
  private runCheck(job: TryJob): Promise<CheckAnswer> {
    return new Promise((resolve) => {
      this.pending.set(job.tryKey, (result) => {
        if (result.outcome === "failure" && result.error.name === SENSOR_NOT_READY) resolve({ kind: "not_yet" });
        else resolve({ kind: "done", result });
      });
      this.options.workers.submit(job);
    });
  }
}

function timedOut(wait: SensorWaitRecord): TryResult {
  const message = `sensor ${wait.taskId} waited ${wait.timeoutMs ?? 0} ms for ${wait.waitsFor} without seeing it`;
  if (wait.softFail) return { outcome: "skipped", reason: `${message} (softFail)` };
  return { outcome: "failure", error: { name: "SensorTimeoutError", message, retryable: false, kind: "timeout" } };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the check took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
