export { pipeline, isPipeline } from "./pipeline.js";
export type { Pipeline, PipelineBuilder, PipelineOptions, ParamsOf } from "./pipeline.js";
export type * from "./types.js";
export { parseDuration, formatDuration, DurationInvalidError } from "./duration.js";
export type { Duration } from "./duration.js";
export { TRIGGER_RULES, isTriggerRule } from "./trigger-rule-names.js";
export type { TriggerRule } from "./trigger-rule-names.js";
export type { PipelineSpec, TaskSpec, DefinitionProblem, PipelineSpecOptions, AnyTaskFunction } from "./spec.js";
export { PIPELINE_BRAND } from "./spec.js";
