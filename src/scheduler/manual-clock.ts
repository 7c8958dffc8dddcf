// A clock that moves only when told: tests (and simulations) run months of schedules in seconds. Timers
// fire in time order as `advanceTo` passes them, each after the ones before it have been handled.
import type { Clock } from "./clock.js";

interface PendingTimer {
  atMs: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new Set<PendingTimer>();

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  at(atMs: number, fn: () => void): () => void {
    const timer: PendingTimer = { atMs, seq: this.seq++, fn };
    this.timers.add(timer);
    // Like a real timer, it never fires synchronously: a due one fires on the next turn.
    if (atMs <= this.nowMs) setImmediate(() => this.fire(timer));
    return () => this.timers.delete(timer);
  }

  /** Moves time forward to `targetMs`, firing due timers in order; `settle` runs after each firing. */
  async advanceTo(targetMs: number, settle: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<void> {
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.atMs > targetMs) break;
      if (next.atMs > this.nowMs) this.nowMs = next.atMs;
      this.fire(next);
      await settle();
    }
    if (targetMs > this.nowMs) this.nowMs = targetMs;
  }

  async advanceBy(ms: number, settle?: () => Promise<void>): Promise<void> {
    await this.advanceTo(this.nowMs + ms, settle);
  }

  /** Timers still waiting (for tests that check nothing is left behind). */
  pending(): number {
    return this.timers.size;
  }

  private nextTimer(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) if (!best || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) best = t;
    return best;
  }

  private fire(timer: PendingTimer): void {
    if (!this.timers.delete(timer)) return;
    timer.fn();
  }
}
