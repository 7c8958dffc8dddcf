// The state-changing commands shared by the CLI and the HTTP API (see context.ts for how they reach a run).
export { liveSchedulerOwner, type CommandChange, type CommandContext, type LiveScheduler } from "./context.js";
export { triggerRun, type TriggerInput } from "./trigger.js";
export { setPipelinePaused } from "./pause.js";
export { cancelRun } from "./cancel.js";
export { clearRun, type ClearInput, type ClearResult } from "./clear.js";
export { markTask, type MarkInput } from "./mark.js";
export { cancelBackfill, createBackfill, type BackfillInput, type BackfillResult } from "./backfill.js";
export { setPool } from "./pools.js";
export { ParamInvalidError, prepareManualRun, type PrepareRunInput, type PreparedRun, type RunPreparer } from "./prepare-run.js";
export { checkEventName, emitEvent, eventNamesOf, subscribersOf, type EmitInput } from "./emit.js";
