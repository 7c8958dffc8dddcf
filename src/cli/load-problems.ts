// Problems found while loading pipeline files: shared with the scheduler's commands (one line each).
export { formatLoadProblem, formatLoadProblems } from "../scheduler/commands/problems.js";
