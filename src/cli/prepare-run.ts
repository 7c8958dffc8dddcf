// `weir run` and `weir trigger` prepare a run as the API does: the scheduler's command module holds it.
export { prepareManualRun, type PrepareRunInput, type PreparedRun, type RunPreparer } from "../scheduler/commands/prepare-run.js";
