// A standby scheduler's pipelines (docs/scheduler.md, "Standby"): while `weir scheduler` waits for the lease it
// loads every pipeline file and follows their changes as the lease holder does, so taking over costs no
// load. It writes nothing: which version is a pipeline's current one in the store is the holder's to set, so
// the registry holds its versions unsaved (`holdSaves`) until SchedulerService.start saves them; nothing is
// scheduled (the service's passes begin with the lease).
import type { Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import { PipelineRegistry, type PipelineChange, type PipelineLoader } from "./pipeline-registry.js";

export interface StandbyPipelinesOptions {
  root: string;
  /** Loads files in worker processes: the pool that will run tries (local executor) or prepare runs. */
  loader: PipelineLoader;
  store: Pick<Store, "savePipelineVersion">;
  clock: Pick<Clock, "now">;
  /** One line per problem at the load and per file change after it (until the service listens instead). */
  onEvent: (kind: "pipelines" | "error", message: string) => void;
}

/** Loads the pipelines under `root` for a standby; the registry is then given to the service (`registry`). */
export async function loadStandbyPipelines(options: StandbyPipelinesOptions): Promise<PipelineRegistry> {
  const registry = new PipelineRegistry({ root: options.root, pool: options.loader, store: options.store, clock: options.clock, holdSaves: true });
  registry.listen((change: PipelineChange) => {
    const ids = change.pipelineIds.join(", ");
    const problems = (change.problems ?? []).map((p) => p.message).join("; ");
    options.onEvent(change.kind === "failed" ? "error" : "pipelines", `standby: ${change.kind} ${change.file}${ids ? `: ${ids}` : ""}${problems ? ` (${problems})` : ""}`);
  });
  await registry.start();
  for (const problem of registry.problems()) options.onEvent("error", `${problem.file}: ${problem.message}`);
  options.onEvent("pipelines", `standby: ${registry.pipelines().length} pipelines loaded from ${options.root} (not scheduling until this process holds the lease)`);
  return registry;
}
