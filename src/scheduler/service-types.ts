// The scheduler service's options and the events it reports (service.ts re-exports them).
import type { Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import type { CoordinatorOptions } from "./coordinator.js";
import type { RunPreparer } from "./commands/prepare-run.js";
import type { Executor } from "./executor.js";
import type { Notifier } from "../notify/index.js";
import type { PipelineRegistry } from "./pipeline-registry.js";

export interface SchedulerEvent {
  kind: "pipelines" | "run_created" | "run_started" | "run_finished" | "error";
  message: string;
}

export interface SchedulerServiceOptions {
  /** Notifiers by name (WEIR_NOTIFIER_<NAME>), for alerts (default: none configured). */
  notifiers?: ReadonlyMap<string, Notifier>;
  store: Store;
  /** Runs tries, loads pipeline files and checks event payloads in worker processes. */
  executor: Executor & RunPreparer;
  clock: Clock;
  home: string;
  /** A directory of pipeline files, or one file. */
  root: string;
  /** How often to look for runs and pauses written by other processes (default 1 s). */
  pollMs?: number;
  /** Watch the files for changes (default true). */
  watch?: boolean;
  /**
   * The pipelines, loaded already (default: a registry of `root` through the executor, loaded by `start`): a
   * standby's (standby-pipelines.ts), made with `holdSaves` and started while it waited for the lease.
   */
  registry?: PipelineRegistry;
  onEvent?: (event: SchedulerEvent) => void;
  /** Timing of each coordinator tick that committed (metrics). */
  onTick?: CoordinatorOptions["onTick"];
  /** The scheduler owner id to hold the lease as (newOwnerId("scheduler")); default: a new one. */
  owner?: string;
  /** The scheduler lease's TTL (WEIR_SCHEDULER_LEASE; default 10 s): how soon a standby takes over a silent holder. */
  leaseTtlMs?: number;
  /**
   * Another scheduler took the lease over (this one was frozen or cut off longer than the TTL): the service
   * has stopped, having committed nothing since. The caller decides what follows (`weir scheduler`: standby).
   */
  onLeaseLost?: () => void;
  /**
   * The coordinator stopped on a store error (memory may be ahead of the database): the service has stopped
   * and released the lease, so that a standby (or this process, starting again) resumes the runs from the store.
   */
  onFailed?: (error: Error) => void;
}
