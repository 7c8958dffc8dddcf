// The engine's public surface: the pure state machine the scheduler drives and the store persists.
export * from "./states.js";
export * from "./types.js";
export { evaluateTriggerRule, doneCount, zeroCounts, type TriggerOutcome } from "./trigger-rules.js";
export { canRetry, retryDelayMs, jitterSampleFor } from "./retry-policy.js";
export { compileEngineGraph } from "./compile-graph.js";
export { createRunSnapshot, type InstanceRecord } from "./snapshot.js";
export { advance, advanceAll, applyDecision } from "./advance.js";
