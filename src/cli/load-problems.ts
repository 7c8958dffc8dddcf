// Problems found while loading pipeline files: `file (pipeline p, task t): message`, one line each.
import { relative } from "node:path";
import type { LoadProblem } from "../worker/protocol.js";

export function formatLoadProblem(problem: LoadProblem): string {
  const where = [problem.pipeline ? `pipeline ${problem.pipeline}` : "", problem.task ? `task ${problem.task}` : ""].filter(Boolean).join(", ");
  const file = relative(process.cwd(), problem.file) || problem.file;
  return `${file}${where ? ` (${where})` : ""}: ${problem.message}`;
}

/** All problems on one line (the CLI contract); `weir validate` lists them one per line. */
export function formatLoadProblems(problems: readonly LoadProblem[]): string {
  if (problems.length === 1) return formatLoadProblem(problems[0] as LoadProblem);
  return `${problems.length} problems: ${problems.map(formatLoadProblem).join("; ")}`;
}
