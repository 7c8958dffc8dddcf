// Problems found while loading pipeline files, one line each: `file: pipeline p, task t: message`.
import { relative } from "node:path";
import type { LoadProblem } from "../worker/protocol.js";

export function formatLoadProblem(problem: LoadProblem): string {
  const where = [problem.pipeline ? `pipeline ${problem.pipeline}` : "", problem.task ? `task ${problem.task}` : ""].filter(Boolean).join(", ");
  const file = relative(process.cwd(), problem.file) || problem.file;
  return `${file}${where ? ` (${where})` : ""}: ${problem.message}`;
}

export function formatLoadProblems(problems: readonly LoadProblem[]): string {
  if (problems.length === 1) return formatLoadProblem(problems[0] as LoadProblem);
  return `${problems.length} problems:\n${problems.map((p) => `  ${formatLoadProblem(p)}`).join("\n")}`;
}
