// `weir worker --queues default,spark --concurrency 8 [--pipelines DIR]`: runs tries of those queues that a
// scheduler (`weir scheduler --executor store`) queued in the store, on this machine's worker processes
// (docs/distributed.md). With --pipelines, pipeline code comes from this machine's own directory: a try of
// a pipeline it doesn't have, or of a version its code isn't, fails with a clear error instead of running
// other code.
import { availableParallelism } from "node:os";
import { WeirError } from "../../common/errors.js";
import { isValidId } from "../../common/ids.js";
import { artifactsDir, LocalArtifactStore } from "../../artifacts/local-store.js";
import { fetchInputs, shareOutput } from "../../executor/distributed/artifact-shipping.js";
import { RemoteWorker } from "../../executor/distributed/remote-worker.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { tryLogPath } from "../../observe/try-log-path.js";
import { openStore } from "../../store/open-store.js";
import type { TryJob, TryResult } from "../../worker/protocol.js";
import { resolveConfig } from "../config.js";
import { distributedOf, sharedArtifactsOf, WEIR_VERSION } from "../distributed-store.js";
import { say } from "../output.js";
import { findPipelineFiles } from "../pipeline-files.js";

export interface WorkerOptions {
  queues?: string;
  concurrency?: number;
  pipelines?: string;
}

export function parseQueues(text: string | undefined): string[] {
  const queues = [...new Set((text ?? "default").split(",").map((q) => q.trim()).filter((q) => q !== ""))];
  const bad = queues.find((q) => !isValidId(q));
  if (queues.length === 0 || bad !== undefined) {
    throw new WeirError("queues_invalid", `--queues must be a comma-separated list of queue names ([A-Za-z0-9_.-]), got ${JSON.stringify(text ?? "")}`, { where: {} });
  }
  return queues;
}

export async function workerCommand(options: WorkerOptions): Promise<void> {
  const queues = parseQueues(options.queues);
  const config = resolveConfig();
  process.env.WEIR_HOME = config.home;
  if (options.pipelines !== undefined) findPipelineFiles(options.pipelines); // a missing path is bad input, now
  const store = await openStore(config.databaseUrl, config.home);
  await store.migrate();
  const time = (): string => new Date().toISOString().slice(11, 23);
  const loader = new LocalWorkerPool({ size: 1, killGraceMs: config.killGraceMs, onResult: () => {} });
  const files = options.pipelines === undefined ? null : new PipelineFiles(options.pipelines, loader);
  const artifacts = new LocalArtifactStore(artifactsDir(config.home));
  const shared = sharedArtifactsOf(store);
  const withInputs = async (job: TryJob): Promise<TryJob> => {
    await fetchInputs(job, artifacts, shared);
    return job;
  };
  const worker: RemoteWorker = new RemoteWorker({
    store: distributedOf(store),
    queues,
    concurrency: options.concurrency ?? config.workerConcurrency ?? availableParallelism(),
    version: WEIR_VERSION,
    killGraceMs: config.killGraceMs,
    onEvent: (line) => say(`${time()} ${line}`),
    prepareJob: async (job): Promise<TryJob | TryResult> => {
      const logPath = tryLogPath(config.home, job.pipelineId, job.runId, job.taskId, job.mapIndex, job.tryNumber);
      // Large outputs live in this machine's own artifacts directory; the store carries them between machines.
      const own = { logPath, ...(job.artifactsDir === undefined ? {} : { artifactsDir: artifacts.dir }) };
      if (files === null) return withInputs({ ...job, ...own });
      const file = await files.fileOf(job.pipelineId);
      if (file === null) return refused(`worker ${worker.id} has no pipeline ${job.pipelineId} under ${options.pipelines} (version ${job.version} was asked for)`);
      return withInputs({ ...job, file, ...own } satisfies TryJob);
    },
    shareOutput: (result) => shareOutput(result, artifacts, shared, Date.now()),
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      say(`${time()} stopping: tries still running are reported lost and retried elsewhere`);
      void (async () => {
        await worker.stop();
        await loader.close();
        await store.close();
        resolve();
      })();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await worker.start();
  await stopped;
}

function refused(message: string): TryResult {
  return { outcome: "failure", error: { name: "PipelineVersionUnavailableError", message, kind: "error", retryable: false } };
}

/** Which of this machine's files defines a pipeline id: loaded once, looked up again when an id is missing. */
class PipelineFiles {
  private byId = new Map<string, string>();
  private scanned: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    private readonly loader: LocalWorkerPool,
  ) {}

  async fileOf(pipelineId: string): Promise<string | null> {
    if (!this.byId.has(pipelineId)) await this.rescan();
    return this.byId.get(pipelineId) ?? null;
  }

  private rescan(): Promise<void> {
    this.scanned ??= (async () => {
      const byId = new Map<string, string>();
      for (const file of findPipelineFiles(this.dir).files) {
        const result = await this.loader.load(file);
        for (const graph of result.pipelines) if (!byId.has(graph.id)) byId.set(graph.id, file);
      }
      this.byId = byId;
    })().finally(() => (this.scanned = null));
    return this.scanned;
  }
}
