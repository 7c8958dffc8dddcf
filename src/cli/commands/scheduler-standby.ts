// `weir scheduler` while it waits for the lease (docs/scheduler.md, "Standby"): its worker pool is opened and
// the pipelines loaded (src/scheduler/standby-pipelines.ts), so that taking over starts scheduling at once. The
// local executor's pool is the one that runs tries after the takeover (its workers have the files loaded);
// the store executor is opened only with the lease (opening it adopts the try queue), with the pool that
// loaded the files as its preparer.
import type { ExecutorChoice, ExecutorKind, OpenedExecutor } from "../executor-choice.js";
import { openExecutor } from "../executor-choice.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import type { PipelineRegistry } from "../../scheduler/pipeline-registry.js";
import { loadStandbyPipelines } from "../../scheduler/standby-pipelines.js";

export interface Standby {
  registry: PipelineRegistry;
  /** The executor to schedule with, once this process holds the lease. */
  openExecutor(): Promise<OpenedExecutor>;
  /** Stops following the files and closes what `openExecutor` didn't hand over (idempotent). */
  close(): Promise<void>;
}

export async function standBy(path: string, kind: ExecutorKind, choice: ExecutorChoice, say: (kind: "pipelines" | "error", line: string) => void): Promise<Standby> {
  if (kind === "local") {
    const pool = await openExecutor("local", choice);
    return loaded(path, pool, choice, say, async () => pool);
  }
  const preparer = new LocalWorkerPool({ size: 1, killGraceMs: choice.killGraceMs, onResult: () => {} });
  return loaded(path, preparer, choice, say, () => openExecutor("store", { ...choice, preparer }));
}

async function loaded(path: string, pool: OpenedExecutor, choice: ExecutorChoice, say: (kind: "pipelines" | "error", line: string) => void, open: () => Promise<OpenedExecutor>): Promise<Standby> {
  let registry: PipelineRegistry;
  try {
    registry = await loadStandbyPipelines({ root: path, loader: pool, store: choice.store, clock: systemClock, onEvent: say });
  } catch (error) {
    await pool.close();
    throw error;
  }
  // Once the executor is open it owns the pool (the store executor closes its preparer).
  let handedOver = false;
  return {
    registry,
    openExecutor: async () => {
      const executor = await open();
      handedOver = true;
      return executor;
    },
    close: async () => {
      await registry.stop();
      if (!handedOver) await pool.close();
    },
  };
}
