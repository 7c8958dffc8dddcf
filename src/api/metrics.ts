// GET /metrics in Prometheus's text format: runs and tries by state (counted in the store), the
// scheduler's tick and commit latencies (histograms, from this process's coordinator), its ready-queue
// depth and worker count. Without a scheduler in this process only the store's counts are there.
import { RUN_STATES, TRY_STATES } from "../engine/states.js";
import type { TickTiming } from "../scheduler/coordinator.js";
import type { Store } from "../store/types.js";

/** Seconds: from well under a millisecond (an idle tick) to seconds (a commit stuck on a busy disk). */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

class Histogram {
  private readonly counts = BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] as number)) this.counts[i] = (this.counts[i] as number) + 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    BUCKETS.forEach((le, i) => lines.push(`${this.name}_bucket{le="${le}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

export class ApiMetrics {
  private readonly tick = new Histogram("weir_scheduler_tick_seconds", "Time of a scheduler tick that committed decisions (decide, commit, dispatch).");
  private readonly commit = new Histogram("weir_scheduler_commit_seconds", "Time of the store commit of a scheduler tick.");

  /** The coordinator's tick hook. */
  readonly observeTick = (timing: TickTiming): void => {
    this.tick.observe(timing.tickMs / 1000);
    this.commit.observe(timing.commitMs / 1000);
  };

  async render(store: Store, live: { readyDepth: number; workers: number } | null): Promise<string> {
    const runs = await store.reads.runCountsByState();
    const tries = await store.reads.tryCountsByState();
    const lines: string[] = ["# HELP weir_runs Runs in the store by state.", "# TYPE weir_runs gauge"];
    for (const state of RUN_STATES) lines.push(`weir_runs{state="${state}"} ${runs.get(state) ?? 0}`);
    lines.push("# HELP weir_tries Tries in the store by state.", "# TYPE weir_tries gauge");
    for (const state of TRY_STATES) lines.push(`weir_tries{state="${state}"} ${tries.get(state) ?? 0}`);
    lines.push(...this.tick.render(), ...this.commit.render());
    lines.push("# HELP weir_scheduler_in_process Whether a scheduler runs in this process (1) or not (0).", "# TYPE weir_scheduler_in_process gauge", `weir_scheduler_in_process ${live ? 1 : 0}`);
    lines.push("# HELP weir_ready_queue_depth Task instances scheduled and waiting for a worker or slot in this process's scheduler.", "# TYPE weir_ready_queue_depth gauge", `weir_ready_queue_depth ${live?.readyDepth ?? 0}`);
    lines.push("# HELP weir_workers Worker processes of this process's pool.", "# TYPE weir_workers gauge", `weir_workers ${live?.workers ?? 0}`);
    return `${lines.join("\n")}\n`;
  }
}
