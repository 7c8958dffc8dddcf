// `weir validate <path>`: loads every pipeline file under the path in worker processes (user code never
// runs in the CLI) and reports every problem with its file, pipeline and task. Exit 2 if any.
import { relative } from "node:path";
import { LocalWorkerPool } from "../../executor/local-pool.js";
import type { LoadProblem, LoadResult } from "../../worker/protocol.js";
import { formatLoadProblem } from "../load-problems.js";
import { describeMapped } from "../render/graph.js";
import { out, printJson, say } from "../output.js";
import { findPipelineFiles } from "../pipeline-files.js";

export async function validateCommand(path: string, options: { json?: boolean }): Promise<void> {
  const { files, isDirectory } = findPipelineFiles(path);
  const pool = new LocalWorkerPool({ onResult: () => {} });
  let results: LoadResult[];
  try {
    results = await Promise.all(files.map((file) => pool.load(file)));
  } finally {
    await pool.close();
  }

  const problems: LoadProblem[] = [];
  const owners = new Map<string, string>();
  for (const result of results) {
    // In a directory, helper modules without pipelines are fine; a file named explicitly must define one.
    problems.push(...result.problems.filter((p) => !(isDirectory && p.code === "no_pipeline")));
    for (const graph of result.pipelines) {
      const other = owners.get(graph.id);
      if (other !== undefined && other !== result.file) {
        problems.push({ file: result.file, pipeline: graph.id, code: "pipeline_duplicate", message: `pipeline id "${graph.id}" is also defined in ${relative(process.cwd(), other)}` });
      } else owners.set(graph.id, result.file);
    }
  }
  const pipelines = results.flatMap((r) => r.pipelines.map((g) => ({ id: g.id, file: r.file, tasks: g.tasks.length, version: g.version, mapped: describeMapped(g) })));

  if (options.json) {
    printJson({ ok: problems.length === 0, files: files.length, pipelines, problems });
  } else {
    for (const p of pipelines) out(`ok  ${relative(process.cwd(), p.file)}: ${p.id} (${p.tasks} tasks${p.mapped.length > 0 ? `; mapped at run time: ${p.mapped.map((m) => `${m.task} over ${m.over.join(" & ")}`).join(", ")}` : ""})`);
    for (const problem of problems) say(`✖ ${formatLoadProblem(problem)}`);
    const summary = `${files.length} file${files.length === 1 ? "" : "s"}, ${pipelines.length} pipeline${pipelines.length === 1 ? "" : "s"}, ${problems.length} problem${problems.length === 1 ? "" : "s"}`;
    if (problems.length > 0) say(summary);
    else out(summary);
  }
  process.exitCode = problems.length > 0 ? 2 : 0;
}
