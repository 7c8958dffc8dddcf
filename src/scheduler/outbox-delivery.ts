// Delivers the outbox: notifications the engine decided and the store committed with their decision.
// One delivery loop at a time, never in a tick's way; a notifier that fails is retried a few times
// (notify/deliver.ts) and then recorded as failed — it never fails or holds up a run.
import { formatDuration } from "../define/duration.js";
import { deliver, type Notification, type Notifier } from "../notify/index.js";
import type { OutboxRecord, Store } from "../store/types.js";

export class OutboxDelivery {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly store: Pick<Store, "pendingNotifications" | "markNotificationDone">,
    private readonly notifiers: ReadonlyMap<string, Notifier>,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Something was committed to the outbox (or may be left from before a crash): deliver it soon. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves once everything committed so far has been delivered or given up on. */
  async flush(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = await this.store.pendingNotifications(50);
      if (batch.length === 0) return;
      for (const record of batch) await this.deliverOne(record);
    }
  }

  private async deliverOne(record: OutboxRecord): Promise<void> {
    const { action } = record;
    const notification: Notification = {
      kind: action.event,
      pipelineId: record.pipelineId,
      runId: record.runId,
      logicalDate: new Date(record.logicalDateMs).toISOString(),
      at: new Date(record.createdMs).toISOString(),
      ...(action.taskId === undefined ? {} : { taskId: action.taskId, mapIndex: action.mapIndex ?? -1, tryNumber: action.tryNumber ?? 0 }),
      ...(action.error ? { error: action.error } : {}),
      ...(action.deadline ? { deadline: { after: formatDuration(action.deadline.afterMs), dueAt: new Date(action.deadline.dueMs).toISOString(), state: action.deadline.state } } : {}),
    };
    const errors: string[] = [];
    let attempts = 0;
    for (const name of action.notifiers) {
      const notifier = this.notifiers.get(name);
      if (!notifier) {
        errors.push(`no notifier "${name}" is configured (add it to notifiers in weir.config.ts, or set WEIR_NOTIFIER_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")})`);
        continue;
      }
      const result = await deliver(notifier, notification);
      attempts += result.attempts;
      if (!result.ok) errors.push(`${name}: ${result.error ?? "failed"}`);
    }
    const error = errors.length > 0 ? errors.join("; ") : null;
    if (error) this.log(`notification ${action.event} of run ${record.runId} not delivered: ${error}`);
    await this.store.markNotificationDone(record.id, this.now(), attempts, error);
  }
}
