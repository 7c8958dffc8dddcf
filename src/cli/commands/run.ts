// `weir run`: one run in the foreground. Everything the user gave is checked (file loads, graph valid,
// params valid, logical date valid) before anything is written; then the run is created and driven to
// its end by the coordinator with a local worker pool. `--resume` finishes a run whose driver died.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { WeirError } from "../../common/errors.js";
import { artifactThreshold } from "../../artifacts/reference.js";
import type { RunState } from "../../engine/states.js";
import type { PipelineGraph } from "../../graph/types.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { systemClock } from "../../scheduler/clock.js";
import { Coordinator } from "../../scheduler/coordinator.js";
import { isDeferredSensor, SensorResults } from "../../scheduler/sensor-handoff.js";
import { startTriggererChild, stopTriggererChild } from "../triggerer-child.js";
import { PoolSlots } from "../../scheduler/pool-slots.js";
import { OutboxDelivery } from "../../scheduler/outbox-delivery.js";
import { notifiersFromEnv } from "../notifiers.js";
import { isOwnerAlive, newOwnerId } from "../../scheduler/owner.js";
import { openStore, resolveStoreLocation } from "../../store/open-store.js";
import { toRunDocument } from "../../store/run-document.js";
import type { RunRecord, Store } from "../../store/types.js";
import { resolveConfig, type CliConfig } from "../config.js";
import { prepareManualRun } from "../prepare-run.js";
import { printJson, say, useColor } from "../output.js";
import { parseParamArgs } from "../params.js";
import { createProgressRenderer } from "../render/progress.js";
import { summarizeRun } from "../render/summary.js";

export interface RunOptions {
  param: string[];
  logicalDate?: string;
  pipeline?: string;
  resume?: string;
  /** Resume even if the recorded owner looks alive (another host, a container). */
  force?: boolean;
  concurrency?: number;
  json?: boolean;
  /** `--no-cache` (commander sets `cache: false`): the run's tasks reuse no cached result. */
  cache?: boolean;
}

export async function runCommand(target: string | undefined, options: RunOptions): Promise<void> {
  const config = resolveConfig();
  checkArtifactThreshold();
  // Task code and shell tasks see the same absolute WEIR_HOME as the CLI, whatever their cwd.
  process.env.WEIR_HOME = config.home;
  const session = new RunSession(config, options);
  try {
    const state = options.resume ? await session.resume(options.resume) : await session.start(target);
    process.exitCode = state === "success" ? 0 : 1;
  } finally {
    await session.close();
  }
}

/** A bad WEIR_ARTIFACT_THRESHOLD is bad input, reported before anything runs (the workers read it too). */
function checkArtifactThreshold(): void {
  try {
    artifactThreshold();
  } catch (error) {
    throw new WeirError("config_invalid", (error as Error).message);
  }
}

/** The resources of one `weir run`: opened lazily, closed once. */
class RunSession {
  private store: Store | null = null;
  private pool: LocalWorkerPool | null = null;
  private coordinator: Coordinator | null = null;
  private outbox: OutboxDelivery | null = null;
  /** Read first: a bad notifier setting is bad input, reported before anything runs. */
  private readonly notifiers = notifiersFromEnv();
  private readonly owner = newOwnerId();

  constructor(
    private readonly config: CliConfig,
    private readonly options: RunOptions,
  ) {}

  async start(target: string | undefined): Promise<RunState> {
    if (!target) throw new WeirError("target_missing", "weir run needs a pipeline file or id (or --resume <run-id>)");
    const raw = parseParamArgs(this.options.param);
    const { file, pipelineId } = await this.resolveTarget(target);

    const nowMs = systemClock.now();
    const prepared = await prepareManualRun(this.openPool(), { file, pipelineId: pipelineId ?? this.options.pipeline, rawParams: raw, logicalDate: this.options.logicalDate, nowMs, owner: this.owner });
    const { graph } = prepared;
    const logicalDateMs = prepared.run.logicalDateMs;

    // Everything checked: from here on the store is written.
    const store = await this.openStore();
    await store.savePipelineVersion(graph, nowMs);
    const { run } = await store.createRun(prepared.run, nowMs);
    if (this.options.cache === false) await store.setRunNoCache(run.id, true);
    if (!this.options.json) say(`weir: run ${run.id} of ${graph.id} for ${new Date(logicalDateMs).toISOString()} (store: ${this.config.home})`);
    return this.drive(run, graph, (c) => c.startRun(run, graph));
  }

  async resume(runId: string): Promise<RunState> {
    // Everything is checked before the run's owner is written: bad input changes nothing.
    const location = resolveStoreLocation(this.config.databaseUrl, this.config.home);
    if (location.dialect === "sqlite" && !existsSync(location.path)) {
      throw new WeirError("run_not_found", `no run with id "${runId}": there is no Weir store at ${location.path}`, { where: { run: runId } });
    }
    const store = await this.openStore();
    const run = await store.getRun(runId);
    if (!run) throw new WeirError("run_not_found", `no run with id "${runId}" in ${this.config.home}`, { where: { run: runId } });
    if (run.state === "success" || run.state === "failed" || run.state === "canceled") {
      if (!this.options.json) say(`weir: run ${run.id} already ended: ${run.state}`);
      return this.finish(run.id, run.state, store);
    }
    if (run.owner && run.owner !== this.owner && !this.options.force && isOwnerAlive(run.owner)) {
      throw new WeirError("run_owned", `run ${run.id} is being driven by another live process (${run.owner}); if it is not, resume with --force`, { where: { run: runId } });
    }
    const graph = await store.getPipelineVersion(run.pipelineId, run.version);
    if (!graph) throw new WeirError("pipeline_version_missing", `the pipeline version of run ${run.id} is not in the store`, { input: false });
    if (!existsSync(run.file)) throw new WeirError("pipeline_file_missing", `the pipeline file of run ${run.id} is gone: ${run.file}`);
    // The worker refuses a try whose version differs from the file's, so resuming after an edit fails loudly.
    const pool = this.openPool();
    const loaded = await pool.load(run.file);
    if (!loaded.pipelines.some((p) => p.id === graph.id && p.version === graph.version)) {
      throw new WeirError("pipeline_changed", `${run.file} changed since run ${run.id} started (version ${graph.version}); restore it to resume the run`);
    }
    if (!(await store.setRunOwner(run.id, this.owner, run.owner))) {
      throw new WeirError("run_owned", `run ${run.id} was taken over by another process just now`, { where: { run: runId } });
    }
    if (!this.options.json) say(`weir: resuming run ${run.id} of ${graph.id}`);
    return this.drive({ ...run, owner: this.owner }, graph, (c) => c.resumeRun(run, graph));
  }

  private async drive(run: RunRecord, graph: PipelineGraph, begin: (c: Coordinator) => Promise<RunState>): Promise<RunState> {
    const store = await this.openStore();
    const pool = this.openPool();
    const poolSlots = new PoolSlots();
    await poolSlots.refresh(store);
    const outbox = this.openOutbox(store);
    outbox.kick();
    const coordinator = new Coordinator({ store, executor: pool, clock: systemClock, home: this.config.home, poolSlots: poolSlots.of, outbox });
    this.coordinator = coordinator;
    const renderer = this.options.json ? null : createProgressRenderer(process.stderr, graph.order, useColor());
    if (renderer) coordinator.onChange((change) => renderer.onChange(change));

    // First Ctrl-C cancels the run (tries stopped, history kept); a second one leaves at once (resumable).
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts === 1) {
        say("\nweir: canceling the run (Ctrl-C again to leave it resumable with --resume)");
        coordinator.cancelRun(run.id, "canceled from the terminal");
      } else {
        process.exit(130);
      }
    };
    process.on("SIGINT", onSigint);
    // Deferred sensors are checked by a trigger loop of their own (docs/sensors.md), for this run's life.
    const sensors = graph.tasks.some(isDeferredSensor) ? new SensorResults(store, coordinator, (error) => say(`weir: sensor results: ${String(error)}`)) : null;
    const triggerer = sensors === null ? null : startTriggererChild();
    sensors?.start();
    try {
      let state: RunState;
      try {
        state = await begin(coordinator);
      } catch (error) {
        renderer?.finish();
        const message = error instanceof Error ? error.message : String(error);
        throw new WeirError("run_interrupted", `the run stopped: ${message}; it is left as it was and can be finished with \`weir run --resume ${run.id}\``, { input: false, cause: error });
      }
      renderer?.finish();
      return await this.finish(run.id, state, store);
    } finally {
      process.off("SIGINT", onSigint);
      sensors?.stop();
      await stopTriggererChild(triggerer);
    }
  }

  private openOutbox(store: Store): OutboxDelivery {
    this.outbox ??= new OutboxDelivery(store, this.notifiers, (line) => say(`weir: ${line}`));
    return this.outbox;
  }

  private async finish(runId: string, state: RunState, store: Store): Promise<RunState> {
    // Alerts of this run (and any left by a crash) go out before the command ends; a failing notifier is
    // retried, then given up on.
    await this.openOutbox(store).flush();
    await store.setRunOwner(runId, null, this.owner);
    const run = await store.getRun(runId);
    if (!run) return state;
    const instances = await store.listTaskInstances(runId);
    const graph = await store.getPipelineVersion(run.pipelineId, run.version);
    if (this.options.json) printJson(toRunDocument(run, instances, graph?.order));
    else say(summarizeRun(run, instances));
    return run.state;
  }

  private async resolveTarget(target: string): Promise<{ file: string; pipelineId: string | undefined }> {
    const path = resolve(target);
    if (existsSync(path)) {
      if (!statSync(path).isFile()) throw new WeirError("target_not_file", `${target} is a directory; weir run takes one pipeline file or id`);
      return { file: path, pipelineId: undefined };
    }
    if (/[/\\]|\.(m?[jt]s|tsx?)$/.test(target)) throw new WeirError("file_not_found", `no such file: ${target}`);
    const location = resolveStoreLocation(this.config.databaseUrl, this.config.home);
    const known = location.dialect !== "sqlite" || existsSync(location.path);
    const pipeline = known ? await (await this.openStore()).getPipeline(target) : null;
    if (!pipeline) throw new WeirError("pipeline_not_found", `"${target}" is neither a file nor a pipeline known to ${this.config.home}`);
    return { file: pipeline.file, pipelineId: pipeline.id };
  }

  private openPool(): LocalWorkerPool {
    if (!this.pool) {
      // The coordinator comes after validation; results can only arrive once it exists.
      const onResult: Coordinator["handleResult"] = (tryKey, result, timing) => this.coordinator?.handleResult(tryKey, result, timing);
      this.pool = new LocalWorkerPool({ size: this.options.concurrency ?? this.config.localWorkers, killGraceMs: this.config.killGraceMs, onResult, onCapacity: () => this.coordinator?.wake() });
    }
    return this.pool;
  }

  private async openStore(): Promise<Store> {
    if (!this.store) {
      this.store = await openStore(this.config.databaseUrl, this.config.home);
      await this.store.migrate();
    }
    return this.store;
  }

  async close(): Promise<void> {
    this.coordinator?.close();
    await this.pool?.close();
    await this.store?.close();
  }
}
