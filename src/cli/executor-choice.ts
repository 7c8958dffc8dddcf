// Which executor a scheduler runs tries on: the local worker pool (default) or the store's try queue, claimed
// by `weir worker` processes anywhere (`--executor store` / WEIR_EXECUTOR=store, docs/distributed.md).
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { WeirError } from "../common/errors.js";
import { artifactsDir, LocalArtifactStore } from "../artifacts/local-store.js";
import { isArtifactRef } from "../artifacts/reference.js";
import { fetchOutput } from "../executor/distributed/artifact-shipping.js";
import { StoreQueueExecutor } from "../executor/distributed/store-queue-executor.js";
import { LocalWorkerPool } from "../executor/local-pool.js";
import type { Executor } from "../scheduler/executor.js";
import type { RunPreparer } from "../scheduler/commands/prepare-run.js";
import type { LeaseFence, Store } from "../store/types.js";
import type { TryResult } from "../worker/protocol.js";
import { distributedOf, sharedArtifactsOf } from "./distributed-store.js";

export type ExecutorKind = "local" | "store";

export interface OpenedExecutor extends Executor, RunPreparer {
  stats(): { workers: number };
  close(): Promise<void>;
}

export interface ExecutorChoice {
  store: Store;
  /** WEIR_HOME: where this machine keeps artifacts that workers elsewhere wrote (store executor). */
  home: string;
  concurrency: number | undefined;
  killGraceMs: number;
  onResult: (tryKey: string, result: TryResult, timing?: { startedMs: number; endedMs: number }) => void;
  onCapacity: () => void;
  onEvent: (line: string) => void;
  /** Whether the scheduler reads a try's output itself (store executor: only then is its artifact copied here). */
  decodesOutput?: (tryKey: string) => boolean;
  /** The scheduler lease the store executor queues tries under (several schedulers, docs/distributed.md). */
  fence?: LeaseFence;
  /** Store executor: the pool to load pipelines in (a standby's, its files loaded already); default: one of 1 worker. */
  preparer?: LocalWorkerPool;
}

export function executorKind(flag: string | undefined): ExecutorKind {
  const kind = flag ?? process.env.WEIR_EXECUTOR ?? "local";
  if (kind === "local" || kind === "store") return kind;
  throw new WeirError("executor_invalid", `executor must be "local" or "store", got ${JSON.stringify(kind)}${flag === undefined ? " (WEIR_EXECUTOR)" : " (--executor)"}`, { where: {} });
}

export async function openExecutor(kind: ExecutorKind, choice: ExecutorChoice): Promise<OpenedExecutor> {
  if (kind === "local") return new LocalWorkerPool({ size: choice.concurrency, killGraceMs: choice.killGraceMs, onResult: choice.onResult, onCapacity: choice.onCapacity });
  // Pipelines are still loaded here (the scheduler reads their graphs); tries run on `weir worker`s.
  const preparer = choice.preparer ?? new LocalWorkerPool({ size: 1, killGraceMs: choice.killGraceMs, onResult: () => {} });
  const queue = new StoreQueueExecutor({
    queue: distributedOf(choice.store),
    graphs: choice.store,
    schedulerId: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    ...(choice.fence ? { fence: choice.fence } : {}),
    preparer,
    onResult: withOutputObjects(choice),
    onCapacity: choice.onCapacity,
    onError: (error) => choice.onEvent(`✖ try queue: ${String(error)}`),
  });
  await queue.start();
  return {
    freeSlots: () => queue.freeSlots(),
    freeSlotsOf: (q) => queue.freeSlotsOf(q),
    reattach: (tryKey) => queue.reattach(tryKey),
    committed: (tryKeys) => queue.committed(tryKeys),
    submit: (job) => queue.submit(job),
    abort: (tryKey, reason) => queue.abort(tryKey, reason),
    load: (file) => queue.load(file),
    parseParams: (request) => queue.parseParams(request),
    stats: () => ({ workers: queue.stats().capacity }),
    close: async () => {
      await queue.close();
      await preparer.close();
    },
  };
}

/**
 * A worker elsewhere wrote a large output on its own disk and copied it into the store. Where the scheduler
 * reads it itself (a map source, a mapped instance's result), its object is copied here before the result is
 * handled; other outputs only workers read, and they fetch them. A missing
 * object is said, and the result handled anyway: reading it later fails with the artifact's name.
 */
function withOutputObjects(choice: ExecutorChoice): ExecutorChoice["onResult"] {
  const local = new LocalArtifactStore(artifactsDir(choice.home));
  const shared = sharedArtifactsOf(choice.store);
  return (tryKey, result, timing) => {
    if (result.outcome !== "success" || !isArtifactRef(result.output) || choice.decodesOutput?.(tryKey) === false) return choice.onResult(tryKey, result, timing);
    void fetchOutput(result, local, shared)
      .then(
        (found) => {
          if (!found) choice.onEvent(`✖ the output of ${tryKey} is neither in ${local.dir} nor in the store`);
        },
        (error: unknown) => choice.onEvent(`✖ copying the output of ${tryKey} from the store failed: ${String(error)}`),
      )
      .finally(() => choice.onResult(tryKey, result, timing));
  };
}
