// The scheduler's half of deferred sensors (docs/adr/0007): a committed sensor try is never sent to a worker.
// Its wait is written to the store for the trigger loop, and the try moves to `deferred` (no worker or pool
// slot). The trigger loop's final answers come back through the store and end the try like a worker's result.
import type { EngineEvent } from "../engine/types.js";
import type { RunRecord, Store } from "../store/types.js";
import type { TaskNode } from "../graph/types.js";
import type { TryJob, TryResult } from "../worker/protocol.js";
import { tryKeyOf } from "../worker/protocol.js";

/** Whether a task's tries go to the trigger loop instead of a worker. */
export function isDeferredSensor(task: TaskNode): boolean {
  return task.kind === "sensor" && task.sensor?.mode === "deferred";
}

export interface SensorHandOffOptions {
  store: Store;
  now: () => number;
  enqueue: (runId: string, event: EngineEvent) => void;
}

export class SensorHandOff {
  constructor(private readonly options: SensorHandOffOptions) {}

  /** Writes the wait (durable first), then tells the engine the try now waits in `deferred`. */
  async defer(record: RunRecord, task: TaskNode, job: TryJob): Promise<void> {
    const sensor = task.sensor;
    if (!sensor) return;
    const nowMs = this.options.now();
    const key = { runId: record.id, taskId: job.taskId, mapIndex: job.mapIndex, tryNumber: job.tryNumber };
    await this.options.store.sensors.defer(
      { ...key, waitsFor: sensor.waitsFor, jobJson: JSON.stringify(job), probe: sensor.probe, pokeIntervalMs: sensor.pokeIntervalMs, timeoutMs: sensor.timeoutMs, softFail: sensor.softFail },
      nowMs,
    );
    this.options.enqueue(record.id, { kind: "sensor_poked", result: "not_yet", taskId: job.taskId, mapIndex: job.mapIndex, tryNumber: job.tryNumber, nextCheckAtMs: nowMs });
  }
}

/** What the result pass needs of a coordinator. */
export interface ResultTaker {
  drives(runId: string): boolean;
  handleResult(tryKey: string, result: TryResult, timing?: { startedMs: number }): void;
}

/** How soon the next pass looks while a check is due or running: an answer may come from one moment to the next. */
const SOON_MS = 20;

/**
 * Takes the trigger loop's final answers from the store and hands each to the coordinator as a try's result.
 * An answer stays in the store until its instance has moved on, so a crash between taking it and committing
 * its decision loses nothing (a second delivery is a duplicate the engine ignores).
 *
 * An answer can only come once a check is due, so a pass looks again soon (SOON_MS) while some check is due
 * or running, and otherwise when the next check falls due (at most `pollMs` later): a result waits ~20 ms for
 * the scheduler, not up to `pollMs`, and a scheduler whose sensors all wait far apart costs a query per pollMs.
 */
export class SensorResults {
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private passes = 0;
  private running = false;
  private nextDelayMs: number;

  constructor(
    private readonly store: Store,
    private readonly coordinator: ResultTaker,
    private readonly onError: (error: unknown) => void,
    private readonly pollMs = 100,
  ) {
    this.nextDelayMs = pollMs;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.arm(this.pollMs);
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      void this.pass().finally(() => {
        if (this.started) this.arm(this.nextDelayMs);
      });
    }, ms);
    this.timer.unref();
  }

  async pass(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let delivered = 0;
      for (const wait of await this.store.sensors.results(500)) {
        if (!this.coordinator.drives(wait.runId) || wait.resultJson === null) continue;
        const result = JSON.parse(wait.resultJson) as TryResult;
        this.coordinator.handleResult(tryKeyOf(wait.runId, wait.taskId, wait.mapIndex, wait.tryNumber), result, { startedMs: wait.firstCheckMs });
        delivered++;
      }
      // Now and then: answers whose instance has moved on leave the pass's view.
      if (++this.passes % 50 === 0) await this.store.sensors.markDelivered();
      const next = delivered > 0 ? 0 : await this.store.sensors.nextCheckMs();
      this.nextDelayMs = next === null ? this.pollMs : Math.min(this.pollMs, Math.max(SOON_MS, next - Date.now()));
    } catch (error) {
      this.nextDelayMs = this.pollMs;
      this.onError(error);
    } finally {
      this.running = false;
    }
  }
}
