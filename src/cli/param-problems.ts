// Param problems as one line naming each param and the reason: shared with the scheduler's commands.
export { describeParamProblems } from "../scheduler/commands/problems.js";
