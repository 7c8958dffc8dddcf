// The graphs of the pipeline versions the service's runs use. Versions are immutable: each is read once.
import type { PipelineGraph } from "../graph/types.js";
import type { Store } from "../store/types.js";

export class VersionGraphs {
  private readonly graphs = new Map<string, PipelineGraph>();
  private versionsWithDeadline = 0;

  constructor(private readonly store: Store) {}

  async of(pipelineId: string, version: string): Promise<PipelineGraph | null> {
    const key = `${pipelineId}@${version}`;
    const cached = this.graphs.get(key);
    if (cached) return cached;
    const graph = await this.store.getPipelineVersion(pipelineId, version);
    if (graph) this.graphs.set(key, graph);
    if (graph?.deadline) this.versionsWithDeadline++;
    return graph;
  }

  /** Whether a version read so far has a deadline (the service then checks runs' deadlines). */
  get anyDeadline(): boolean {
    return this.versionsWithDeadline > 0;
  }
}
