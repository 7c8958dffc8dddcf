// Param problems as one line naming each param and the reason.
import type { ParamProblem } from "../worker/protocol.js";

export function describeParamProblems(problems: readonly ParamProblem[]): string {
  return problems.map((p) => (p.param ? `param ${p.param}: ${p.message}` : `params: ${p.message}`)).join("; ");
}
