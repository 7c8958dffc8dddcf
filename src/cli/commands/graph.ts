// `weir graph <file|id> [--json]`: the static graph of a pipeline — tasks in order, their upstreams, and
// where it takes its shape at run time (mapped tasks, branches) — before anything runs. A file is loaded
// in a worker process (user code never runs in the CLI); an id is read from the store.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { WeirError } from "../../common/errors.js";
import type { PipelineGraph } from "../../graph/types.js";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import { formatLoadProblems } from "../load-problems.js";
import { out, printJson } from "../output.js";
import { formatGraph, graphView } from "../render/graph.js";
import { withStore } from "../store-access.js";

export async function graphCommand(target: string, options: { json?: boolean; pipeline?: string }): Promise<void> {
  const graph = await findGraph(target, options.pipeline);
  const view = graphView(graph);
  if (options.json) printJson(view);
  else for (const line of formatGraph(view)) out(line);
}

async function findGraph(target: string, wanted: string | undefined): Promise<PipelineGraph> {
  const path = resolve(target);
  if (existsSync(path)) {
    if (!statSync(path).isFile()) throw new WeirError("target_not_file", `${target} is a directory; weir graph takes one pipeline file or id`);
    const pool = new LocalWorkerPool({ size: 1, onResult: () => {} });
    try {
      const loaded = await pool.load(path);
      if (loaded.problems.length > 0) throw new WeirError("pipeline_invalid", formatLoadProblems(loaded.problems));
      const found = wanted === undefined ? loaded.pipelines : loaded.pipelines.filter((p) => p.id === wanted);
      if (found.length === 1) return found[0] as PipelineGraph;
      const ids = loaded.pipelines.map((p) => p.id).join(", ");
      if (found.length === 0) throw new WeirError("pipeline_not_found", `${target} defines no pipeline "${wanted}" (it defines: ${ids})`);
      throw new WeirError("pipeline_ambiguous", `${target} defines ${found.length} pipelines (${ids}); choose one with --pipeline`);
    } finally {
      await pool.close();
    }
  }
  if (/[/\\]|\.(m?[jt]s|tsx?)$/.test(target)) throw new WeirError("file_not_found", `no such file: ${target}`);
  return withStore(`no pipeline "${target}"`, async (store, home) => {
    const pipeline = await store.getPipeline(target);
    if (!pipeline) throw new WeirError("pipeline_not_found", `"${target}" is neither a file nor a pipeline known to ${home}`);
    return pipeline.graph;
  });
}
