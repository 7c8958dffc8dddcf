// Load and param problems as one line each, for the CLI's stderr and the API's error messages alike.
import { relative } from "node:path";
import type { LoadProblem, ParamProblem } from "../../worker/protocol.js";

/** `file (pipeline p, task t): message`. */
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

/** Param problems as one line naming each param and the reason. */
export function describeParamProblems(problems: readonly ParamProblem[]): string {
  return problems.map((p) => (p.param ? `param ${p.param}: ${p.message}` : `params: ${p.message}`)).join("; ");
}
