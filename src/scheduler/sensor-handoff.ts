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

/**
 * Takes the trigger loop's final answers from the store and hands each to the coordinator as a try's result.
 * An answer stays in the store until its instance has moved on, so a crash between taking it and committing
 * its decision loses nothing (a second delivery is a duplicate the engine ignores).
 */
export class SensorResults {
  private timer: NodeJS.Timeout | null = null;
  private passes = 0;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly coordinator: ResultTaker,
    private readonly onError: (error: unknown) => void,
    private readonly pollMs = 100,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pass(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async pass(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const wait of await this.store.sensors.results(500)) {
        if (!this.coordinator.drives(wait.runId) || wait.resultJson === null) continue;
        const result = JSON.parse(wait.resultJson) as TryResult;
        this.coordinator.handleResult(tryKeyOf(wait.runId, wait.taskId, wait.mapIndex, wait.tryNumber), result, { startedMs: wait.firstCheckMs });
      }
      // Now and then: answers whose instance has moved on leave the pass's view.
      if (++this.passes % 50 === 0) await this.store.sensors.markDelivered();
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
  }
}
