// The scheduler lease (docs/distributed.md, "Several schedulers"): one scheduler drives runs at a time; others
// wait as hot standbys and take over when the holder stops (it releases the lease) or goes silent (the lease
// expires, TTL `WEIR_SCHEDULER_LEASE`, default 10 s, extended every quarter of it). Expiry only decides when a
// standby may take over; what keeps a taken-over scheduler from doing harm is the fence: its decisions and
// queued tries commit only while it still owns the lease row (store `LeaseFence`), so once a standby took the
// row, a scheduler that was merely frozen (SIGSTOP, a long GC pause, a partition) writes nothing more.
import type { LeaseFence, Store } from "../store/types.js";
import { isOwnerAlive } from "./owner.js";

export const SCHEDULER_LEASE = "scheduler";
export const DEFAULT_SCHEDULER_LEASE_MS = 10_000;

export class SchedulerLease {
  readonly fence: LeaseFence;
  private onLost: (() => void) | null = null;
  private onError: ((message: string) => void) | null = null;
  /** When (this process's monotonic clock) the store last confirmed we hold it. */
  private heldAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    readonly owner: string,
    readonly ttlMs: number,
  ) {
    this.fence = { lease: SCHEDULER_LEASE, owner };
  }

  /** How often the holder extends it: a quarter of the TTL, so two missed extensions still keep it. */
  get renewEveryMs(): number {
    return Math.max(50, Math.floor(this.ttlMs / 4));
  }

  /**
   * Takes the lease when nobody holds it, it expired, or its holder is a process of this host that is gone
   * (kill -9: taken over at once, not at expiry). False while another live scheduler holds it.
   */
  async acquire(): Promise<boolean> {
    if (await this.tryAcquire()) return true;
    const lease = await this.store.getLease(SCHEDULER_LEASE);
    if (lease && lease.owner !== this.owner && !isOwnerAlive(lease.owner)) await this.store.releaseLease(SCHEDULER_LEASE, lease.owner);
    return this.tryAcquire();
  }

  /** Extends it while we still own it; false once another scheduler took it over (we were fenced off). */
  async extend(): Promise<boolean> {
    const started = performance.now();
    // Real time, whatever the scheduler's clock (a ManualClock's simulated days would stamp nonsense).
    const held = await this.store.extendLease(SCHEDULER_LEASE, this.owner, Date.now(), this.ttlMs);
    if (held) this.heldAt = started;
    return held;
  }

  /**
   * Whether the store confirmed the lease recently enough (half a TTL) to act on it without asking again: a
   * scheduler that was frozen for longer asks before it writes anything outside its fenced decisions.
   */
  fresh(): boolean {
    return performance.now() - this.heldAt < this.ttlMs / 2;
  }

  /**
   * While its holder runs: extended every quarter of the TTL on a timer of its own (a long pass doesn't let
   * it lapse). `onLost` once, when another scheduler took it over. Returns how to stop. The timer is real
   * time whatever the scheduler's clock: a standby elsewhere waits in real time too (a ManualClock that
   * jumps days would otherwise fire it once per quarter TTL of simulated time).
   */
  keep(onLost: () => void, onError: (message: string) => void): () => void {
    this.onLost = onLost;
    this.onError = onError;
    let timer: NodeJS.Timeout | null = null;
    let stopped = false;
    const next = (): void => {
      timer = setTimeout(() => {
        void this.confirm(true).then((held) => {
          if (held && !stopped) next();
        });
      }, this.renewEveryMs);
      // The scheduler's other work keeps the process alive; this alone doesn't.
      timer.unref();
    };
    next();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      this.onLost = null;
    };
  }

  /**
   * Whether we still hold it: the last confirmation if recent (`check`: ask the store anyway). False, and
   * `onLost` told, once another scheduler took it over. A store that can't be reached counts as held: if it
   * stays so and a standby takes over, the fence refuses our commits anyway.
   */
  async confirm(check = false): Promise<boolean> {
    if (!check && this.fresh()) return true;
    let held: boolean;
    try {
      held = await this.extend();
    } catch (error) {
      this.onError?.(`extending the scheduler lease: ${error instanceof Error ? error.message : String(error)}`);
      return true;
    }
    if (!held) {
      const lost = this.onLost;
      this.onLost = null;
      lost?.();
    }
    return held;
  }

  /** Who holds it now (expired or not), or null. */
  async holder(): Promise<string | null> {
    return (await this.store.getLease(SCHEDULER_LEASE))?.owner ?? null;
  }

  release(): Promise<void> {
    return this.store.releaseLease(SCHEDULER_LEASE, this.owner);
  }

  private async tryAcquire(): Promise<boolean> {
    const started = performance.now();
    const held = await this.store.acquireLease(SCHEDULER_LEASE, this.owner, Date.now(), this.ttlMs);
    if (held) this.heldAt = started;
    return held;
  }
}

export interface StandbyOptions {
  /** Between looks at the lease (default: 1 s, or a quarter of the TTL if shorter). */
  pollMs?: number;
  /** Told once per holder while waiting. */
  onStandby: (holder: string) => void;
  /** The store failed a look at the lease (told once until a look succeeds again); the standby keeps waiting. */
  onError?: (message: string) => void;
  /** Resolves when the wait should end without the lease (Ctrl-C). */
  stopped: Promise<unknown>;
}

/** Waits as a standby until the lease is ours (true) or `stopped` resolves first (false). */
export async function waitForLease(lease: SchedulerLease, options: StandbyOptions): Promise<boolean> {
  let stop = false;
  void options.stopped.then(() => (stop = true));
  const pollMs = options.pollMs ?? Math.min(1000, lease.renewEveryMs);
  let told: string | null = null;
  let failing = false;
  for (;;) {
    if (stop) return false;
    try {
      if (await lease.acquire()) return true;
      const holder = await lease.holder();
      failing = false;
      if (holder !== null && holder !== told) {
        told = holder;
        options.onStandby(holder);
      }
    } catch (error) {
      // A store that is down or busy now may be back at the next look: a standby outlives it.
      if (!failing) options.onError?.(`looking at the scheduler lease: ${error instanceof Error ? error.message : String(error)}; still waiting`);
      failing = true;
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, pollMs)), options.stopped]);
  }
}
